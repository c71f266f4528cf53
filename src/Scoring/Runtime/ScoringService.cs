using FraudStream.Features.Schema;
using FraudStream.Scoring.Batching;
using Microsoft.Extensions.Logging;

namespace FraudStream.Scoring.Runtime;

/// <summary>
/// Owns the current <see cref="ModelSnapshot"/> and the micro-batcher. Pipeline workers call <see cref="Score"/>
/// concurrently; a new package is loaded, validated and warmed to the side and replaces the current snapshot by one
/// reference between two batches: a batch always runs entirely on one snapshot, every caller is handed the snapshot
/// that scored its rows, the old scorer is disposed once the batch in flight at the swap has finished, and no
/// submission is lost or scored twice. Before any package has loaded the snapshot is
/// <see cref="ModelSnapshot.Unavailable"/>: probabilities are NaN and the caller decides by rules alone.
/// </summary>
public sealed class ScoringService : IBatchExecutor<ModelSnapshot>, IDisposable
{
    private readonly ScoringOptions _options;
    private readonly ILogger _logger;
    private readonly MicroBatcher<ModelSnapshot> _batcher;
    private readonly Lock _swapLock = new();
    private ModelSnapshot _current = ModelSnapshot.Unavailable;
    private long _batchesStarted;
    private long _batchesCompleted;
    private long _failedBatches;

    public ScoringService(ScoringOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _logger = logger;
        _batcher = new MicroBatcher<ModelSnapshot>(this, FeatureSchema.Count, options.MaxBatchSize, options.WaitMicrosFor("none"), options.MaxPendingSubmissions);
    }

    /// <summary>The snapshot the next batch will run on.</summary>
    public ModelSnapshot Current => Volatile.Read(ref _current);

    public MicroBatcher<ModelSnapshot> Batcher => _batcher;

    /// <summary>Batches whose scorer threw; their rows got NaN.</summary>
    public long FailedBatches => Interlocked.Read(ref _failedBatches);

    /// <summary>
    /// Scores rows (row-major, <see cref="FeatureSchema.Count"/> per row); blocks until done and returns the snapshot
    /// that scored every one of them. Thread-safe.
    /// </summary>
    public ModelSnapshot Score(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities, out BatchTiming timing)
    {
        timing = _batcher.Score(featuresRowMajor, rows, probabilities, out var scoredBy);
        // Null only if the batch failed outside the executor: its rows are NaN, as with no model.
        return scoredBy ?? ModelSnapshot.Unavailable;
    }

    /// <summary>Loads the package and swaps it in; on failure keeps the current snapshot and throws <see cref="ModelPackageException"/>.</summary>
    public ModelSnapshot Swap(string packageDir)
    {
        var next = ModelSnapshot.Load(packageDir, _options, _logger);
        Swap(next);
        return next;
    }

    /// <summary>Makes <paramref name="next"/> current and disposes the previous snapshot once no batch runs on it.</summary>
    public void Swap(ModelSnapshot next)
    {
        ArgumentNullException.ThrowIfNull(next);
        lock (_swapLock)
        {
            _batcher.SetMaxWait(_options.WaitMicrosFor(next.Device));
            var previous = Interlocked.Exchange(ref _current, next);
            WaitForBatchInFlight();
            previous.Dispose();
            _logger.LogInformation("Scoring with model {Version}: {Description}", next.Version, next.Description);
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

    ModelSnapshot IBatchExecutor<ModelSnapshot>.Execute(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities)
    {
        // Count the batch as started before reading the snapshot, so a swap that sees the old count knows
        // any later batch reads the new snapshot.
        Interlocked.Increment(ref _batchesStarted);
        var snapshot = Volatile.Read(ref _current);
        try
        {
            snapshot.Score(featuresRowMajor, rows, probabilities);
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

        return snapshot;
    }

    public void Dispose()
    {
        _batcher.Dispose();
        Interlocked.Exchange(ref _current, ModelSnapshot.Unavailable).Dispose();
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
