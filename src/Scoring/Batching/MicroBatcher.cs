using System.Collections.Concurrent;
using System.Diagnostics;

namespace FraudStream.Scoring.Batching;

/// <summary>What the batcher's single scoring thread runs for each merged batch.</summary>
/// <typeparam name="TSource">What scored a batch (the model snapshot): every submission in the batch is told.</typeparam>
public interface IBatchExecutor<TSource>
    where TSource : class
{
    /// <summary>Scores the batch and returns what scored it.</summary>
    TSource Execute(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities);

    /// <summary>
    /// Right after <see cref="Execute"/>, on the same rows: a second scorer in shadow (a challenger model) writes its
    /// probabilities and returns what scored them, or null when it did not run for this batch. Must not throw.
    /// </summary>
    TSource? ExecuteShadow(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> shadowProbabilities) => null;
}

/// <summary>
/// Per submission: time queued before its batch started, the batch's compute time (shadow included: the submitter
/// waited for it), the batch's size, and the shadow scorer's part of the compute (0 when none ran).
/// </summary>
public readonly record struct BatchTiming(double QueueMicros, double ComputeMicros, int BatchRows, double ShadowMicros = 0);

/// <summary>
/// A dynamic micro-batcher in the manner of Triton's: worker threads submit a few rows each and block; one
/// scoring thread merges queued submissions into a batch of at most <c>maxBatchSize</c> rows, waiting at most
/// <c>maxWaitMicros</c> after the first queued submission for more, then runs the batch once.
/// Steady state allocates nothing: submissions use pooled slots with pre-allocated buffers and a
/// <see cref="ManualResetEventSlim"/> each. A batch runs on one executor call, so all its rows come from one
/// <typeparamref name="TSource"/>, and each submission learns which.
/// </summary>
public sealed class MicroBatcher<TSource> : IDisposable
    where TSource : class
{
    private readonly IBatchExecutor<TSource> _executor;
    private readonly int _featureCount;
    private long _maxWaitTicks;
    private readonly ConcurrentQueue<Slot> _pending = new();
    private readonly ConcurrentQueue<Slot> _free = new();
    private readonly ManualResetEventSlim _work = new(false, spinCount: 100);
    private readonly float[] _batchFeatures;
    private readonly float[] _batchProbabilities;
    private readonly float[] _batchShadow;
    private readonly Slot[] _batchSlots;
    private readonly long[] _histogram = new long[MicroBatcher.HistogramBuckets];
    private readonly Thread _thread;
    private volatile bool _stopping;
    private Slot? _carried;
    private long _batches;

    public MicroBatcher(IBatchExecutor<TSource> executor, int featureCount, int maxBatchSize, int maxWaitMicros, int maxPendingSubmissions = 256)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxWaitMicros);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPendingSubmissions, 1);
        _executor = executor;
        _featureCount = featureCount;
        MaxBatchSize = maxBatchSize;
        MaxWaitMicros = maxWaitMicros;
        _maxWaitTicks = maxWaitMicros * Stopwatch.Frequency / 1_000_000;
        _batchFeatures = new float[maxBatchSize * featureCount];
        _batchProbabilities = new float[maxBatchSize];
        _batchShadow = new float[maxBatchSize];
        _batchSlots = new Slot[maxBatchSize];
        for (var i = 0; i < maxPendingSubmissions; i++)
        {
            _free.Enqueue(new Slot(maxBatchSize * featureCount, maxBatchSize));
        }

        _thread = new Thread(ScoringLoop) { IsBackground = true, Name = "fraudstream-scoring" };
        _thread.Start();
    }

    public int MaxBatchSize { get; }

    public int MaxWaitMicros { get; private set; }

    /// <summary>Changes the wait for batches formed from now on (e.g. when a model on another device swaps in).</summary>
    public void SetMaxWait(int maxWaitMicros)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxWaitMicros);
        MaxWaitMicros = maxWaitMicros;
        Volatile.Write(ref _maxWaitTicks, maxWaitMicros * Stopwatch.Frequency / 1_000_000);
    }

    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>
    /// Submissions waiting for the scoring thread now: the load signal a shadow scorer yields to. Scoring thread only
    /// (it reads the carried-over submission), i.e. from <see cref="IBatchExecutor{TSource}.ExecuteShadow"/>.
    /// </summary>
    public int WaitingSubmissions => (_carried is null ? 0 : 1) + _pending.Count;

    /// <summary>
    /// Scores <paramref name="rows"/> rows and blocks until their probabilities are written; <paramref name="scoredBy"/>
    /// is what scored them (null if the executor failed: the rows are NaN). Thread-safe. More rows than the maximum
    /// batch are submitted in several parts, all scored by one source; the timing returned is the last part's.
    /// </summary>
    public BatchTiming Score(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities, out TSource? scoredBy) =>
        Score(featuresRowMajor, rows, probabilities, [], out scoredBy, out _);

    /// <summary>
    /// As <see cref="Score(ReadOnlySpan{float}, int, Span{float}, out TSource)"/>, and the shadow scorer's probabilities
    /// of the same rows into <paramref name="shadowProbabilities"/> (when it is at least <paramref name="rows"/> long):
    /// <paramref name="shadowBy"/> is what scored them, null when the shadow did not score every part.
    /// </summary>
    public BatchTiming Score(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities, Span<float> shadowProbabilities,
        out TSource? scoredBy, out TSource? shadowBy)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (featuresRowMajor.Length < rows * _featureCount || probabilities.Length < rows)
        {
            throw new ArgumentException("features or probabilities shorter than rows require");
        }

        var timing = default(BatchTiming);
        var wantsShadow = shadowProbabilities.Length >= rows;
        scoredBy = null;
        shadowBy = null;
        for (var done = 0; done < rows;)
        {
            var part = Math.Min(rows - done, MaxBatchSize);
            timing = Submit(featuresRowMajor.Slice(done * _featureCount, part * _featureCount), part, probabilities.Slice(done, part),
                wantsShadow ? shadowProbabilities.Slice(done, part) : [], out var source, out var shadow);
            if (done == 0)
            {
                scoredBy = source;
                shadowBy = shadow;
            }
            else if (!ReferenceEquals(shadow, shadowBy))
            {
                // The shadow skipped or changed for one part: its scores of this submission are not all one model's.
                shadowBy = null;
                wantsShadow = false;
            }
            if (!ReferenceEquals(source, scoredBy))
            {
                // The source changed between two parts (a model swap): score every part again with one source.
                done = 0;
                wantsShadow = shadowProbabilities.Length >= rows;
                continue;
            }

            done += part;
        }

        return timing;
    }

    /// <summary>Batches run so far per size bucket: bucket i counts batches of (2^(i-1), 2^i] rows.</summary>
    public void CopyHistogram(Span<long> counts)
    {
        for (var i = 0; i < MicroBatcher.HistogramBuckets && i < counts.Length; i++)
        {
            counts[i] = Interlocked.Read(ref _histogram[i]);
        }
    }

    public long[] HistogramSnapshot()
    {
        var counts = new long[MicroBatcher.HistogramBuckets];
        CopyHistogram(counts);
        return counts;
    }

    /// <summary>Stops the scoring thread after the queued submissions; call it once the submitting threads have stopped.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _work.Set();
        _thread.Join();
        _work.Dispose();
        while (_free.TryDequeue(out var slot))
        {
            slot.Done.Dispose();
        }
    }

    private BatchTiming Submit(ReadOnlySpan<float> features, int rows, Span<float> probabilities, Span<float> shadow,
        out TSource? scoredBy, out TSource? shadowBy)
    {
        Slot? slot;
        var spin = new SpinWait();
        while (!_free.TryDequeue(out slot))
        {
            spin.SpinOnce();
        }

        features.CopyTo(slot.Features);
        slot.Rows = rows;
        slot.Done.Reset();
        slot.EnqueuedAt = Stopwatch.GetTimestamp();
        _pending.Enqueue(slot);
        _work.Set();

        slot.Done.Wait();
        slot.Probabilities.AsSpan(0, rows).CopyTo(probabilities);
        var timing = slot.Timing;
        scoredBy = slot.ScoredBy;
        shadowBy = slot.ShadowBy;
        if (shadowBy is not null && shadow.Length >= rows)
        {
            slot.ShadowProbabilities.AsSpan(0, rows).CopyTo(shadow);
        }

        // A pooled slot must not keep a swapped-out model alive.
        slot.ScoredBy = null;
        slot.ShadowBy = null;
        _free.Enqueue(slot);
        return timing;
    }

    private void ScoringLoop()
    {
        while (true)
        {
            if (_carried is null && _pending.IsEmpty)
            {
                if (_stopping)
                {
                    return;
                }

                _work.Wait();
                _work.Reset();
                continue;
            }

            RunOneBatch();
        }
    }

    private void RunOneBatch()
    {
        // No TryPeek: peeking pins ConcurrentQueue segments, which then allocates new ones. A submission that
        // does not fit is carried over to open the next batch instead.
        var rows = 0;
        var count = 0;
        var first = _carried;
        _carried = null;
        if (first is null && !_pending.TryDequeue(out first))
        {
            return;
        }

        var deadline = first.EnqueuedAt + Volatile.Read(ref _maxWaitTicks);
        var next = first;
        while (true)
        {
            if (next is not null)
            {
                if (rows + next.Rows > MaxBatchSize)
                {
                    _carried = next;
                    break;
                }

                next.Features.AsSpan(0, next.Rows * _featureCount).CopyTo(_batchFeatures.AsSpan(rows * _featureCount));
                rows += next.Rows;
                _batchSlots[count++] = next;
                if (rows == MaxBatchSize)
                {
                    break;
                }
            }
            else if (_stopping || Stopwatch.GetTimestamp() >= deadline)
            {
                break;
            }
            else
            {
                Thread.SpinWait(32);
            }

            _pending.TryDequeue(out next);
        }

        var start = Stopwatch.GetTimestamp();
        TSource? source = null;
        try
        {
            source = _executor.Execute(_batchFeatures.AsSpan(0, rows * _featureCount), rows, _batchProbabilities.AsSpan(0, rows));
        }
#pragma warning disable CA1031 // A failed batch must still release its callers: they get NaN, never a stalled stream.
        catch (Exception)
#pragma warning restore CA1031
        {
            _batchProbabilities.AsSpan(0, rows).Fill(float.NaN);
        }

        var primaryEnd = Stopwatch.GetTimestamp();
        TSource? shadowSource = null;
        if (source is not null)
        {
            // Not after a failed executor call: those rows are NaN for everyone, and the batch is released at once.
            try
            {
                shadowSource = _executor.ExecuteShadow(_batchFeatures.AsSpan(0, rows * _featureCount), rows, _batchShadow.AsSpan(0, rows));
            }
#pragma warning disable CA1031 // The shadow must never cost the batch its results: a throw only loses the shadow's scores.
            catch (Exception)
#pragma warning restore CA1031
            {
                shadowSource = null;
            }
        }

        var end = shadowSource is null ? primaryEnd : Stopwatch.GetTimestamp();
        var computeMicros = Stopwatch.GetElapsedTime(start, end).TotalMicroseconds;
        var shadowMicros = shadowSource is null ? 0 : Stopwatch.GetElapsedTime(primaryEnd, end).TotalMicroseconds;
        Interlocked.Increment(ref _histogram[MicroBatcher.BucketOf(rows)]);
        Interlocked.Increment(ref _batches);

        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            var slot = _batchSlots[i];
            _batchProbabilities.AsSpan(offset, slot.Rows).CopyTo(slot.Probabilities);
            if (shadowSource is not null)
            {
                _batchShadow.AsSpan(offset, slot.Rows).CopyTo(slot.ShadowProbabilities);
            }

            offset += slot.Rows;
            slot.Timing = new BatchTiming(Stopwatch.GetElapsedTime(slot.EnqueuedAt, start).TotalMicroseconds, computeMicros, rows, shadowMicros);
            slot.ScoredBy = source;
            slot.ShadowBy = shadowSource;
            _batchSlots[i] = null!;
            slot.Done.Set();
        }
    }

    private sealed class Slot(int featureCapacity, int rowCapacity)
    {
        public float[] Features { get; } = new float[featureCapacity];

        public float[] Probabilities { get; } = new float[rowCapacity];

        public float[] ShadowProbabilities { get; } = new float[rowCapacity];

        public ManualResetEventSlim Done { get; } = new(false, spinCount: 200);

        public int Rows { get; set; }

        public long EnqueuedAt { get; set; }

        public BatchTiming Timing { get; set; }

        public TSource? ScoredBy { get; set; }

        public TSource? ShadowBy { get; set; }
    }
}

/// <summary>The batch-size histogram's buckets, shared by every <see cref="MicroBatcher{TSource}"/>.</summary>
public static class MicroBatcher
{
    public const int HistogramBuckets = 17;

    /// <summary>The largest batch size counted in histogram bucket <paramref name="bucket"/>.</summary>
    public static int BucketUpperBound(int bucket) => 1 << bucket;

    internal static int BucketOf(int rows)
    {
        var bucket = 0;
        while ((1 << bucket) < rows && bucket < HistogramBuckets - 1)
        {
            bucket++;
        }

        return bucket;
    }
}
