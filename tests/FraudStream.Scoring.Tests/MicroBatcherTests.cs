using FraudStream.Scoring.Batching;

namespace FraudStream.Scoring.Tests;

public sealed class MicroBatcherTests
{
    private const int Features = 3;

    [Fact]
    public void Concurrent_submissions_each_get_exactly_their_own_rows_scored()
    {
        var executor = new SumExecutor();
        using var batcher = new MicroBatcher<Source>(executor, Features, maxBatchSize: 32, maxWaitMicros: 300, maxPendingSubmissions: 16);
        var failures = 0;
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            var features = new float[5 * Features];
            var probabilities = new float[5];
            for (var i = 0; i < 400; i++)
            {
                var rows = random.Next(1, 6);
                for (var j = 0; j < rows * Features; j++)
                {
                    features[j] = random.Next(1000);
                }

                batcher.Score(features, rows, probabilities, out _);
                for (var r = 0; r < rows; r++)
                {
                    if (probabilities[r] != Sum(features, r))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(0, failures);
        Assert.True(executor.MaxRows <= 32);
        var histogram = batcher.HistogramSnapshot();
        Assert.Equal(batcher.Batches, histogram.Sum());
        Assert.True(histogram.Skip(1).Sum() > 0, "with 8 threads and a 300 µs wait some batches should merge submissions");
    }

    [Fact]
    public void A_lone_submission_is_released_after_the_max_wait_with_its_timing()
    {
        using var batcher = new MicroBatcher<Source>(new SumExecutor(), Features, maxBatchSize: 64, maxWaitMicros: 2000);
        var probabilities = new float[1];

        var timing = batcher.Score([1f, 2f, 3f], 1, probabilities, out _);

        Assert.Equal(6f, probabilities[0]);
        Assert.Equal(1, timing.BatchRows);
        Assert.True(timing.QueueMicros >= 2000, $"queue {timing.QueueMicros} µs: the batcher waits the max wait for company");
        Assert.True(timing.ComputeMicros >= 0);
        Assert.Equal(1, batcher.HistogramSnapshot()[0]);
    }

    [Fact]
    public void More_rows_than_the_max_batch_are_split_and_all_scored()
    {
        using var batcher = new MicroBatcher<Source>(new SumExecutor(), Features, maxBatchSize: 4, maxWaitMicros: 0);
        var features = Enumerable.Range(0, 10 * Features).Select(i => (float)i).ToArray();
        var probabilities = new float[10];

        batcher.Score(features, 10, probabilities, out _);

        for (var r = 0; r < 10; r++)
        {
            Assert.Equal((9 * r) + 3, probabilities[r]);
        }

        Assert.Equal(3, batcher.Batches);
    }

    [Fact]
    public void A_failing_executor_yields_NaN_instead_of_stalling_the_callers()
    {
        using var batcher = new MicroBatcher<Source>(new ThrowingExecutor(), Features, maxBatchSize: 8, maxWaitMicros: 0);
        var probabilities = new float[2];

        batcher.Score(new float[2 * Features], 2, probabilities, out var scoredBy);

        Assert.All(probabilities, p => Assert.True(float.IsNaN(p)));
        Assert.Null(scoredBy);
    }

    [Fact]
    public void Submissions_allocate_nothing_in_steady_state()
    {
        using var batcher = new MicroBatcher<Source>(new SumExecutor(), Features, maxBatchSize: 8, maxWaitMicros: 0);
        var features = new float[2 * Features];
        var probabilities = new float[2];
        for (var i = 0; i < 200; i++)
        {
            batcher.Score(features, 2, probabilities, out _);
        }

        // One-time lazy allocations (a wait handle the first time a slot's event really blocks, on a busy
        // machine) may land in any early round; steady state is a round of 1000 that allocates nothing.
        var allocated = new List<long>();
        for (var round = 0; round < 10; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                batcher.Score(features, 2, probabilities, out _);
            }

            allocated.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            if (allocated[^1] == 0)
            {
                break;
            }
        }

        Assert.True(allocated[^1] == 0, "bytes allocated per round of 1000: " + string.Join(", ", allocated));
    }

    [Fact]
    public void Each_submission_is_told_the_source_that_scored_its_rows()
    {
        var executor = new SwappingExecutor(batch => batch % 2 == 0 ? SwappingExecutor.First : SwappingExecutor.Second);
        using var batcher = new MicroBatcher<Source>(executor, Features, maxBatchSize: 16, maxWaitMicros: 200, maxPendingSubmissions: 16);
        var wrong = 0;
        var seen = new int[2];
        var threads = Enumerable.Range(0, 6).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            var features = new float[3 * Features];
            var probabilities = new float[3];
            for (var i = 0; i < 300; i++)
            {
                var rows = random.Next(1, 4);
                for (var j = 0; j < rows * Features; j++)
                {
                    features[j] = random.Next(1000);
                }

                batcher.Score(features, rows, probabilities, out var scoredBy);
                Interlocked.Increment(ref seen[scoredBy!.Offset == 0 ? 0 : 1]);
                for (var r = 0; r < rows; r++)
                {
                    if (probabilities[r] != Sum(features, r) + scoredBy.Offset)
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(0, wrong);
        Assert.True(seen[0] > 0 && seen[1] > 0, "batches alternate between the two sources");
    }

    [Fact]
    public void Rows_split_into_parts_all_come_from_one_source_when_it_changes_between_parts()
    {
        // The source changes after the first batch: the second part would come from another source than the first.
        var executor = new SwappingExecutor(batch => batch == 0 ? SwappingExecutor.First : SwappingExecutor.Second);
        using var batcher = new MicroBatcher<Source>(executor, Features, maxBatchSize: 4, maxWaitMicros: 0);
        var features = Enumerable.Range(0, 10 * Features).Select(i => (float)i).ToArray();
        var probabilities = new float[10];

        batcher.Score(features, 10, probabilities, out var scoredBy);

        Assert.Equal(SwappingExecutor.Second, scoredBy);
        for (var r = 0; r < 10; r++)
        {
            Assert.Equal(Sum(features, r) + SwappingExecutor.Second.Offset, probabilities[r]);
        }
    }

    private static float Sum(ReadOnlySpan<float> featuresRowMajor, int row) =>
        featuresRowMajor[row * Features] + featuresRowMajor[(row * Features) + 1] + featuresRowMajor[(row * Features) + 2];

    /// <summary>What scored a batch, as the model snapshot is for the scoring service; its offset marks its scores.</summary>
    private sealed record Source(float Offset);

    private sealed class SumExecutor : IBatchExecutor<Source>
    {
        private static readonly Source Only = new(0);

        public int MaxRows { get; private set; }

        public Source Execute(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities)
        {
            MaxRows = Math.Max(MaxRows, rows);
            for (var r = 0; r < rows; r++)
            {
                probabilities[r] = Sum(featuresRowMajor, r);
            }

            return Only;
        }
    }

    /// <summary>Scores each batch with the source <paramref name="sourceOfBatch"/> picks for it: model swaps between batches.</summary>
    private sealed class SwappingExecutor(Func<int, Source> sourceOfBatch) : IBatchExecutor<Source>
    {
        public static readonly Source First = new(0);
        public static readonly Source Second = new(100_000);
        private int _batches;

        public Source Execute(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities)
        {
            var source = sourceOfBatch(_batches++);
            for (var r = 0; r < rows; r++)
            {
                probabilities[r] = Sum(featuresRowMajor, r) + source.Offset;
            }

            return source;
        }
    }

    private sealed class ThrowingExecutor : IBatchExecutor<Source>
    {
        public Source Execute(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities) =>
            throw new InvalidOperationException("model failed");
    }
}
