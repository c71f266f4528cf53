using FraudStream.Core.Telemetry;
using HdrHistogram;

namespace FraudStream.Pipeline.Latency;

/// <summary>The reporter's HdrHistograms (microseconds) and what it reads off them.</summary>
public static class LatencyHistograms
{
    public static LongHistogram Create() => new(1, StageRecorders.MaxMicros, 3);

    /// <summary>Percentiles in milliseconds, and the share of values at or under <paramref name="targetMs"/>.</summary>
    public static LatencyStats Summarize(HistogramBase h, double targetMs)
    {
        if (h.TotalCount == 0)
        {
            return LatencyStats.Empty;
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

    /// <summary>Every recorded value with its count, ascending.</summary>
    public static List<(long ValueMicros, long Count)> Values(HistogramBase h)
    {
        var list = new List<(long, long)>();
        foreach (var v in h.RecordedValues())
        {
            list.Add((v.ValueIteratedTo, v.CountAtValueIteratedTo));
        }

        return list;
    }
}
