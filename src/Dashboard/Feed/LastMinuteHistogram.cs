using FraudStream.Dashboard.Snapshots;

namespace FraudStream.Dashboard.Feed;

/// <summary>End-to-end latency of the last sixty seconds in log-spaced buckets (0.25 ms to 8 s) for the page's histogram.</summary>
internal sealed class LastMinuteHistogram
{
    private const int SecondsKept = 60;
    private static readonly double[] UpperBoundsMs = BuildBounds();
    private readonly Queue<IReadOnlyList<(long ValueMicros, long Count)>> _seconds = new();

    /// <summary>One second's recorded values (microseconds); the oldest second beyond a minute is dropped.</summary>
    public void Add(IReadOnlyList<(long ValueMicros, long Count)> second)
    {
        _seconds.Enqueue(second);
        while (_seconds.Count > SecondsKept)
        {
            _seconds.Dequeue();
        }
    }

    /// <summary>Every bucket in ascending order; values above the last bound count in the last bucket.</summary>
    public HistogramBucket[] Buckets()
    {
        var counts = new long[UpperBoundsMs.Length];
        foreach (var second in _seconds)
        {
            foreach (var (micros, count) in second)
            {
                counts[BucketOf(micros / 1000.0)] += count;
            }
        }

        var buckets = new HistogramBucket[UpperBoundsMs.Length];
        for (var i = 0; i < buckets.Length; i++)
        {
            buckets[i] = new HistogramBucket(UpperBoundsMs[i], counts[i]);
        }

        return buckets;
    }

    private static int BucketOf(double ms)
    {
        var i = 0;
        while (i < UpperBoundsMs.Length - 1 && ms > UpperBoundsMs[i])
        {
            i++;
        }

        return i;
    }

    private static double[] BuildBounds()
    {
        var bounds = new double[16];
        for (var i = 0; i < bounds.Length; i++)
        {
            bounds[i] = 0.25 * Math.Pow(2, i);
        }

        return bounds;
    }
}
