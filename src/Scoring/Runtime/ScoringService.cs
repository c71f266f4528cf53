using FraudStream.Features.Schema;
using FraudStream.Scoring.Batching;
using Microsoft.Extensions.Logging;

namespace FraudStream.Scoring.Runtime;

/// <summary>
/// Owns the current scorer and the micro-batcher. Pipeline workers call <see cref="Score"/> concurrently; a new
/// model package is loaded, validated and warmed to the side by <see cref="Swap"/> and replaces the current
/// scorer atomically between two batches: a batch always runs entirely on one scorer, the old scorer is
/// disposed once the batch in flight at the swap has finished, and no submission is lost or scored twice.
/// With no model loaded, probabilities are NaN and <see cref="ModelAvailable"/> is false: the caller decides by
/// rules alone and flags <c>model_unavailable</c>.
/// </summary>
public sealed class ScoringService : IBatchExecutor, IDisposable
{
    private readonly ScoringOptions _options;
    private readonly ILogger _logger;
    private readonly MicroBatcher _batcher;
    private readonly Lock _swapLock = new();
    private IModelScorer? _current;
    private long _batchesStarted;
    private long _batchesCompleted;
    private long _failedBatches;

    public ScoringService(ScoringOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _options = options;
        _logger = logger;
        _batcher = new MicroBatcher(this, FeatureSchema.Count, options.MaxBatchSize, options.WaitMicrosFor("none"), options.MaxPendingSubmissions);
    }

    public bool ModelAvailable => Volatile.Read(ref _current) is not null;

    public string? ModelVersion => Volatile.Read(ref _current)?.ModelVersion;

    /// <summary>"cuda", "cpu", or "none" without a model.</summary>
    public string Device => Volatile.Read(ref _current)?.Device ?? "none";

    public string Description => Volatile.Read(ref _current)?.Description ?? "model_unavailable";

    public MicroBatcher Batcher => _batcher;

    /// <summary>Batches whose scorer threw; their rows got NaN.</summary>
    public long FailedBatches => Interlocked.Read(ref _failedBatches);

    /// <summary>Scores rows (row-major, <see cref="FeatureSchema.Count"/> per row); blocks until done. Thread-safe.</summary>
    public BatchTiming Score(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities) =>
        _batcher.Score(featuresRowMajor, rows, probabilities);

    /// <summary>Loads the package and swaps it in; on failure keeps the current model and throws <see cref="ModelPackageException"/>.</summary>
    public void Swap(string packageDir)
    {
        lock (_swapLock)
        {
            var next = ScorerFactory.Create(packageDir, _options, _logger);
            _batcher.SetMaxWait(_options.WaitMicrosFor(next.Device));
            var previous = Interlocked.Exchange(ref _current, next);
            WaitForBatchInFlight();
            previous?.Dispose();
            _logger.LogInformation("Scoring with model {Version}: {Description}", next.ModelVersion, next.Description);
        }
    }

    public bool TrySwap(string packageDir, out string? error)
    {
        try
        {
            Swap(packageDir);
            error = null;
            return true;
        }
        catch (ModelPackageException e)
        {
            _logger.LogError("Model package {Package} rejected: {Reason}", packageDir, e.Message);
            error = e.Message;
            return false;
        }
    }

    /// <summary>Drops the model (scores become NaN until the next swap).</summary>
    public void Unload()
    {
        lock (_swapLock)
        {
            var previous = Interlocked.Exchange(ref _current, null);
            WaitForBatchInFlight();
            previous?.Dispose();
        }
    }

    void IBatchExecutor.Execute(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities)
    {
        // Count the batch as started before reading the scorer, so a swap that sees the old count knows
        // any later batch reads the new scorer.
        Interlocked.Increment(ref _batchesStarted);
        try
        {
            var scorer = Volatile.Read(ref _current);
            if (scorer is null)
            {
                probabilities[..rows].Fill(float.NaN);
                return;
            }

            scorer.Score(featuresRowMajor, rows, probabilities);
        }
#pragma warning disable CA1031 // A failing model must not stall the stream: its rows get NaN (model_unavailable).
        catch (Exception)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _failedBatches);
            probabilities[..rows].Fill(float.NaN);
        }
        finally
        {
            Interlocked.Increment(ref _batchesCompleted);
        }
    }

    public void Dispose()
    {
        _batcher.Dispose();
        Interlocked.Exchange(ref _current, null)?.Dispose();
    }

    private void WaitForBatchInFlight()
    {
        var started = Interlocked.Read(ref _batchesStarted);
        var spin = new SpinWait();
        while (Interlocked.Read(ref _batchesCompleted) < started)
        {
            spin.SpinOnce();
        }
    }
}
