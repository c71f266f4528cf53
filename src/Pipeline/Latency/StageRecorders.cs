using FraudStream.Core.Latency;
using System.Diagnostics;
using HdrHistogram;

namespace FraudStream.Pipeline.Latency;

/// <summary>
/// One set of HdrHistogram recorders per recording thread (consumer, worker, delivery thread, store writer).
/// A <see cref="Recorder"/> swaps its active histogram when the reporter reads an interval, so
/// recording never takes a lock and never contends with another thread.
/// </summary>
public sealed class StageRecorders
{
    /// <summary>Longest latency tracked: 10 minutes in microseconds; longer values are clamped.</summary>
    public const long MaxMicros = 600_000_000;

    private readonly Recorder[] _recorders = new Recorder[StageNames.Count];

    // The interval histogram handed back by each recorder, given to it again next time: without recycling every read
    // allocated a fresh ~170 KB histogram per stage and recorder each second (large-object heap, full GCs).
    private readonly HistogramBase?[] _recycled = new HistogramBase?[StageNames.Count];

    public StageRecorders(string owner)
    {
        Owner = owner;
        for (var i = 0; i < _recorders.Length; i++)
        {
            _recorders[i] = new Recorder(1, MaxMicros, 3, (id, low, high, digits) => new LongHistogram(id, low, high, digits));
        }
    }

    public string Owner { get; }

    public void Record(Stage stage, long micros)
    {
        if (micros < 1)
        {
            micros = 1;
        }
        else if (micros > MaxMicros)
        {
            micros = MaxMicros;
        }

        _recorders[(int)stage].RecordValue(micros);
    }

    public void RecordSince(Stage stage, long startTimestamp, long endTimestamp) =>
        Record(stage, TicksToMicros(endTimestamp - startTimestamp));

    /// <summary>Called by the reporter only: adds what was recorded since its last call into <paramref name="into"/>.</summary>
    public void DrainInto(Stage stage, HistogramBase into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var i = (int)stage;
        var interval = _recycled[i] is { } old ? _recorders[i].GetIntervalHistogram(old) : _recorders[i].GetIntervalHistogram();
        into.Add(interval);
        _recycled[i] = interval;
    }

    public static long TicksToMicros(long ticks) => ticks * 1_000_000 / Stopwatch.Frequency;
}
