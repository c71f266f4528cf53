using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;
using FraudStream.Scoring.Batching;
using FraudStream.Scoring.Packaging;
using FraudStream.Scoring.Runtime;
using Microsoft.Extensions.Logging;

namespace FraudStream.Scoring.Stage;

/// <summary>
/// The model behind the pipeline: ONNX Runtime through the micro-batcher of <see cref="ScoringService"/>. The
/// package directory is polled; when any of its files changed, the whole package is loaded to the side as one
/// <see cref="ModelSnapshot"/> and swapped in by one reference. A package that fails to load leaves the current
/// snapshot in place and is tried again as soon as its files change. With <see cref="ScoringOptions.NoModel"/>,
/// or until a package loads: NaN scores and <c>model_unavailable</c>, never a stalled stream.
/// </summary>
public sealed partial class ModelScoringStage : IScoringStage, IScorerStatus, IDisposable
{
    private static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(2);
    private readonly ScoringService _scoring;
    private readonly string? _packageDir;
    private readonly ILogger _logger;
    private readonly Timer? _watch;
    private readonly Lock _loadGate = new();
    private string _loadedStamp = "";
    private string _rejectedStamp = "";
    private bool _disposed;

    /// <param name="pollInterval">How often the package directory is checked; zero or less: only by <see cref="Refresh"/>.</param>
    public ModelScoringStage(ScoringOptions options, ILogger logger, TimeSpan? pollInterval = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _scoring = new ScoringService(options, logger);
        _logger = logger;
        if (string.Equals(options.ModelDirectory, ScoringOptions.NoModel, StringComparison.OrdinalIgnoreCase))
        {
            LogRunningWithoutModel(logger);
            return;
        }

        _packageDir = options.ModelDirectory ?? throw new ArgumentException("ScoringOptions.ModelDirectory is not set", nameof(options));
        Refresh();
        // Poll rather than trust file-system events (unreliable on network and container file systems).
        var interval = pollInterval ?? DefaultPollInterval;
        if (interval > TimeSpan.Zero)
        {
            _watch = new Timer(_ => Refresh(), null, interval, interval);
        }
    }

    public IModelSnapshot Current => _scoring.Current;

    public ScoringService Service => _scoring;

    /// <summary>The micro-batcher's batch sizes so far (dashboard, once a second).</summary>
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

    public IModelSnapshot Score(ReadOnlySpan<float> features, int rows, Span<float> scores, out long batchWaitMicros, out long computeMicros)
    {
        var snapshot = _scoring.Score(features, rows, scores, out var timing);
        batchWaitMicros = (long)timing.QueueMicros;
        computeMicros = (long)timing.ComputeMicros;
        return snapshot;
    }

    /// <summary>
    /// Loads the package now if its files differ from those of the snapshot in use and from those of the last
    /// rejected attempt. Called by the poll timer; tests call it directly.
    /// </summary>
    public void Refresh()
    {
        if (_packageDir is null)
        {
            return;
        }

        lock (_loadGate)
        {
            var stamp = Stamp(_packageDir);
            if (_disposed || stamp == _loadedStamp || stamp == _rejectedStamp)
            {
                return;
            }

            if (!File.Exists(Path.Combine(_packageDir, ModelPackage.ManifestFileName)))
            {
                _rejectedStamp = stamp;
                LogNoPackage(_logger, _packageDir);
                return;
            }

            try
            {
                var snapshot = _scoring.Swap(_packageDir);
                // The stamp read before loading: files changed during the load differ from it, so the next poll loads again.
                _loadedStamp = stamp;
                _rejectedStamp = "";
                LogLoaded(_logger, snapshot.Version, snapshot.Device, snapshot.ReviewThreshold, snapshot.DeclineThreshold);
            }
            catch (ModelPackageException ex)
            {
                _rejectedStamp = stamp;
                LogRejected(_logger, _packageDir, ex.Message);
            }
        }
    }

    public void Dispose()
    {
        _watch?.Dispose();
        lock (_loadGate)
        {
            _disposed = true;
        }

        _scoring.Dispose();
    }

    /// <summary>Name, size and write time of every file in the package: a change to any of them is a new package.</summary>
    private static string Stamp(string packageDir)
    {
        if (!Directory.Exists(packageDir))
        {
            return "absent";
        }

        var files = Directory.GetFiles(packageDir);
        Array.Sort(files, StringComparer.Ordinal);
        var parts = new string[files.Length];
        for (var i = 0; i < files.Length; i++)
        {
            var info = new FileInfo(files[i]);
            parts[i] = $"{info.Name}:{info.Length}:{info.LastWriteTimeUtc.Ticks}";
        }

        return string.Join('|', parts);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning,
        Message = "No model package in {Package} yet: decisions by rules alone, flagged model_unavailable, until one is there")]
    private static partial void LogNoPackage(ILogger logger, string package);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Model package {Package} rejected, keeping the current model: {Reason}")]
    private static partial void LogRejected(ILogger logger, string package, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Model {Version} on {Device}; review at {Review}, decline at {Decline}")]
    private static partial void LogLoaded(ILogger logger, string version, string device, double review, double decline);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning,
        Message = "Running without a model (--model none): decisions by rules alone, every one flagged model_unavailable")]
    private static partial void LogRunningWithoutModel(ILogger logger);
}
