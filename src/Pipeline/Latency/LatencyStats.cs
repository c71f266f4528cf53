using HdrHistogram;

namespace FraudStream.Pipeline.Latency;

/// <summary>Percentiles of one histogram, in milliseconds.</summary>
public sealed record LatencyStats(long Count, double P50, double P90, double P99, double P999, double Max, double WithinTarget)
{
    public static readonly LatencyStats Empty = new(0, 0, 0, 0, 0, 0, 1);

    public static LatencyStats From(HistogramBase h, double targetMs)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (h.TotalCount == 0)
        {
            return Empty;
        }

        var targetMicros = (long)(targetMs * 1000);
        long within = 0;
        foreach (var v in h.RecordedValues())
        {
            if (v.ValueIteratedTo <= targetMicros)
            {
                within += v.CountAtValueIteratedTo;
            }
        }

        return new LatencyStats(
            h.TotalCount,
            h.GetValueAtPercentile(50) / 1000.0,
            h.GetValueAtPercentile(90) / 1000.0,
            h.GetValueAtPercentile(99) / 1000.0,
            h.GetValueAtPercentile(99.9) / 1000.0,
            h.GetMaxValue() / 1000.0,
            (double)within / h.TotalCount);
    }

    public static LongHistogram NewHistogram() => new(1, StageRecorders.MaxMicros, 3);
}
