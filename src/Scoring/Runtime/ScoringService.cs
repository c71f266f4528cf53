using System.Diagnostics;
using FraudStream.Core.Telemetry;
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
/// A challenger snapshot, when set, scores every batch in shadow right after the champion on the same rows (the
/// batcher's shadow lane), within its budget: skipped under load, benched after a throw or a batch over budget, and
/// counted either way; it never changes the champion's probabilities. <see cref="Promote"/> makes it the champion.
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
    private ModelSnapshot? _challenger;
    private long _shadowStarted;
    private long _shadowCompleted;

    // Written by the scoring thread only, read by the reporter: no lock, Interlocked for the reads.
    private readonly long[] _skippedRows = new long[ChallengerSkips.Count];
    private long _challengerRows;
    private long _challengerBatches;
    private long _challengerTicks;
    private long _championTicksBesideChallenger;
    private long _overBudgetBatches;
    private long _benchedUntil;
    private ChallengerSkip _benchedFor;
    private long _lastChampionTicks;

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

    /// <summary>The challenger scoring in shadow, or null.</summary>
    public ModelSnapshot? Challenger => Volatile.Read(ref _challenger);

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

    /// <summary>
    /// As <see cref="Score(ReadOnlySpan{float}, int, Span{float}, out BatchTiming)"/>, and the challenger's probabilities
    /// of the same rows into <paramref name="challengerProbabilities"/>; <paramref name="challenger"/> is null when it did
    /// not score them (none set, or skipped).
    /// </summary>
    public ModelSnapshot Score(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities, Span<float> challengerProbabilities,
        out ModelSnapshot? challenger, out BatchTiming timing)
    {
        timing = _batcher.Score(featuresRowMajor, rows, probabilities, challengerProbabilities, out var scoredBy, out challenger);
        return scoredBy ?? ModelSnapshot.Unavailable;
    }

    /// <summary>
    /// Makes <paramref name="next"/> the challenger (null: none); the previous one is disposed once no batch runs on it.
    /// The caller has checked its schema (<see cref="ModelSnapshot.Load"/> does).
    /// </summary>
    public void SetChallenger(ModelSnapshot? next)
    {
        lock (_swapLock)
        {
            var previous = Interlocked.Exchange(ref _challenger, next);
            Volatile.Write(ref _benchedUntil, 0);
            WaitForShadowInFlight();
            previous?.Dispose();
            if (next is not null)
            {
                _logger.LogInformation("Challenger {Version} scoring in shadow: {Description}", next.Version, next.Description);
            }
        }
    }

    /// <summary>
    /// The challenger becomes the champion by one reference (the snapshot swap: a batch runs wholly on one or the
    /// other), and there is no challenger after it. False when there is none. Returns the versions before and after.
    /// </summary>
    public bool Promote(out string previousVersion, out string promotedVersion)
    {
        lock (_swapLock)
        {
            var challenger = Interlocked.Exchange(ref _challenger, null);
            previousVersion = Volatile.Read(ref _current).Version;
            if (challenger is null)
            {
                promotedVersion = previousVersion;
                return false;
            }

            WaitForShadowInFlight();
            _batcher.SetMaxWait(_options.WaitMicrosFor(challenger.Device));
            var previous = Interlocked.Exchange(ref _current, challenger);
            WaitForBatchInFlight();
            previous.Dispose();
            promotedVersion = challenger.Version;
            _logger.LogInformation("Challenger {Version} promoted to champion, replacing {Previous}", promotedVersion, previousVersion);
            return true;
        }
    }

    /// <summary>What the challenger has done so far; <paramref name="state"/> and the rejection come from whoever loads it.</summary>
    public ChallengerTelemetry ChallengerNow(string state, string? rejected, ModelComparison? comparison)
    {
        var skipped = new long[ChallengerSkips.Count];
        for (var i = 0; i < skipped.Length; i++)
        {
            skipped[i] = Interlocked.Read(ref _skippedRows[i]);
        }

        return new ChallengerTelemetry(state, Challenger?.Version, rejected, Interlocked.Read(ref _challengerRows), skipped,
            Interlocked.Read(ref _challengerBatches), Micros(Interlocked.Read(ref _challengerTicks)),
            Micros(Interlocked.Read(ref _championTicksBesideChallenger)), Interlocked.Read(ref _overBudgetBatches), comparison);
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
        var start = Stopwatch.GetTimestamp();
        try
        {
            snapshot.Score(featuresRowMajor, rows, probabilities);
            _lastChampionTicks = Stopwatch.GetTimestamp() - start;
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

    /// <summary>
    /// The challenger on the batch the champion just scored, unless it is benched (after a throw or a batch over
    /// budget, for the cool-down) or submissions are waiting (load): then the batch's rows are counted skipped.
    /// </summary>
    ModelSnapshot? IBatchExecutor<ModelSnapshot>.ExecuteShadow(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> shadowProbabilities)
    {
        Interlocked.Increment(ref _shadowStarted);
        try
        {
            var challenger = Volatile.Read(ref _challenger);
            if (challenger is null)
            {
                return null;
            }

            var now = Stopwatch.GetTimestamp();
            if (now < Volatile.Read(ref _benchedUntil))
            {
                Skip(_benchedFor, rows);
                return null;
            }

            if (_batcher.WaitingSubmissions >= _options.ChallengerSkipAtWaiting)
            {
                Skip(ChallengerSkip.Load, rows);
                return null;
            }

            try
            {
                challenger.Score(featuresRowMajor, rows, shadowProbabilities);
            }
#pragma warning disable CA1031 // A failing challenger must never reach a decision: its batch is skipped and it sits out.
            catch (Exception)
#pragma warning restore CA1031
            {
                Bench(ChallengerSkip.Error, now);
                Skip(ChallengerSkip.Error, rows);
                return null;
            }

            var ticks = Stopwatch.GetTimestamp() - now;
            Interlocked.Add(ref _challengerRows, rows);
            Interlocked.Increment(ref _challengerBatches);
            Interlocked.Add(ref _challengerTicks, ticks);
            Interlocked.Add(ref _championTicksBesideChallenger, _lastChampionTicks);
            if (ticks * 1_000_000 > (long)_options.ChallengerBudgetMicros * Stopwatch.Frequency)
            {
                // Already paid for: its scores are kept; the next batches go without it for the cool-down.
                Interlocked.Increment(ref _overBudgetBatches);
                Bench(ChallengerSkip.OverBudget, now);
            }

            return challenger;
        }
        finally
        {
            Interlocked.Increment(ref _shadowCompleted);
        }
    }

    public void Dispose()
    {
        _batcher.Dispose();
        Interlocked.Exchange(ref _current, ModelSnapshot.Unavailable).Dispose();
        Interlocked.Exchange(ref _challenger, null)?.Dispose();
    }

    private static double Micros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    private void Skip(ChallengerSkip reason, int rows) => Interlocked.Add(ref _skippedRows[(int)reason], rows);

    private void Bench(ChallengerSkip reason, long now)
    {
        _benchedFor = reason;
        Volatile.Write(ref _benchedUntil, now + (_options.ChallengerCooldownMs * Stopwatch.Frequency / 1000));
    }

    private void WaitForShadowInFlight()
    {
        var started = Interlocked.Read(ref _shadowStarted);
        var spin = new SpinWait();
        while (Interlocked.Read(ref _shadowCompleted) < started)
        {
            spin.SpinOnce();
        }
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
