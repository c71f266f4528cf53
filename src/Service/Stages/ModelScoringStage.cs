using FraudStream.Features.Schema;
using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;
using FraudStream.Scoring.Batching;
using FraudStream.Scoring.Explain;
using FraudStream.Scoring.Packaging;
using FraudStream.Scoring.Runtime;
using FraudStream.Scoring.Trees;
using Microsoft.Extensions.Logging;

namespace FraudStream.Service.Stages;

/// <summary>
/// The model behind the pipeline: ONNX Runtime through the micro-batcher of <see cref="ScoringService"/>.
/// Version, thresholds and explainer of a package travel together in one immutable object, swapped with
/// the scorer when <c>model.json</c> in the package directory changes. No package → NaN scores and
/// <c>model_unavailable</c>, never a stalled stream.
/// </summary>
public sealed partial class ModelScoringStage : IScoringStage, IScorerStatus, IDisposable
{
    private const int TopFeatures = 3;
    private static readonly string[] FeatureReasons = BuildFeatureReasons();
    private readonly ScoringService _scoring;
    private readonly string? _packageDir;
    private readonly ILogger _logger;
    private readonly Timer? _watch;
    private readonly Lock _swapGate = new();
    private volatile ModelInfo? _model;
    private DateTime _loadedManifestTime;

    public ModelScoringStage(ScoringOptions options, string? packageDir, ILogger<ModelScoringStage> logger)
    {
        _scoring = new ScoringService(options, logger);
        _packageDir = packageDir;
        _logger = logger;
        if (packageDir is null)
        {
            LogNoModel(logger);
            return;
        }

        TryLoad();
        // Poll rather than trust file-system events (unreliable on network and container file systems).
        _watch = new Timer(_ => TryLoad(), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
    }

    public bool ModelAvailable => _model is not null && _scoring.ModelAvailable;

    public string ModelVersion => _model?.Version ?? "none";

    public string Device => _scoring.Device;

    public float ReviewThreshold => _model?.Review ?? float.NaN;

    public float DeclineThreshold => _model?.Decline ?? float.NaN;

    public ScoringService Service => _scoring;

    public void Score(ReadOnlySpan<float> features, int rows, Span<float> scores, out long batchWaitMicros, out long computeMicros)
    {
        var timing = _scoring.Score(features, rows, scores);
        batchWaitMicros = (long)timing.QueueMicros;
        computeMicros = (long)timing.ComputeMicros;
    }

    /// <summary>The micro-batcher's batch sizes (cumulative), for the dashboard.</summary>
    public IReadOnlyList<BatchSizeCount> BatchSizes()
    {
        var batches = _scoring.Batcher.HistogramSnapshot();
        var sizes = new List<BatchSizeCount>();
        for (var b = 0; b < batches.Length; b++)
        {
            if (batches[b] > 0)
            {
                sizes.Add(new BatchSizeCount(MicroBatcher.BucketUpperBound(b), batches[b]));
            }
        }

        return sizes;
    }

    public int Explain(ReadOnlySpan<float> features, Span<string?> topFeatures)
    {
        var explainer = _model?.Explainer;
        if (explainer is null)
        {
            return 0;
        }

        Span<int> index = stackalloc int[TopFeatures];
        Span<float> contribution = stackalloc float[TopFeatures];
        var k = explainer.TopContributions(features, Math.Min(TopFeatures, topFeatures.Length), index, contribution);
        for (var i = 0; i < k; i++)
        {
            topFeatures[i] = FeatureReasons[index[i]];
        }

        return k;
    }

    private void TryLoad()
    {
        lock (_swapGate)
        {
            var manifest = Path.Combine(_packageDir!, ModelPackage.ManifestFileName);
            var written = File.Exists(manifest) ? File.GetLastWriteTimeUtc(manifest) : DateTime.MinValue;
            if (written == _loadedManifestTime)
            {
                return;
            }

            _loadedManifestTime = written;
            if (written == DateTime.MinValue)
            {
                LogNoModel(_logger);
                return;
            }

            try
            {
                var package = ModelPackage.Load(_packageDir!);
                if (!_scoring.TrySwap(_packageDir!, out var error))
                {
                    LogRejected(_logger, _packageDir!, error ?? "unknown");
                    return;
                }

                TreeExplainer? explainer = null;
                if (package.Files.Trees is { } trees && File.Exists(Path.Combine(_packageDir!, trees)))
                {
                    explainer = new TreeExplainer(TreeEnsembleModel.Load(Path.Combine(_packageDir!, trees)));
                }

                _model = new ModelInfo(package.ModelVersion, (float)package.Thresholds.Review, (float)package.Thresholds.Decline, explainer);
                LogLoaded(_logger, package.ModelVersion, _scoring.Device, package.Thresholds.Review, package.Thresholds.Decline);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or System.Text.Json.JsonException or ModelPackageException)
            {
                LogRejected(_logger, _packageDir!, ex.Message);
            }
        }
    }

    private static string[] BuildFeatureReasons()
    {
        var names = new string[FeatureSchema.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = "feature:" + FeatureSchema.Names[i];
        }

        return names;
    }

    public void Dispose()
    {
        _watch?.Dispose();
        _scoring.Dispose();
    }

    private sealed record ModelInfo(string Version, float Review, float Decline, TreeExplainer? Explainer);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "No model package: decisions by rules alone, flagged model_unavailable")]
    private static partial void LogNoModel(ILogger logger);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Model package {Package} rejected, keeping the current model: {Reason}")]
    private static partial void LogRejected(ILogger logger, string package, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Model {Version} on {Device}; review at {Review}, decline at {Decline}")]
    private static partial void LogLoaded(ILogger logger, string version, string device, double review, double decline);
}
