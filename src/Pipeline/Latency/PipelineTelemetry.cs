using FraudStream.Core.Latency;
using FraudStream.Pipeline.Processing;
using HdrHistogram;

namespace FraudStream.Pipeline.Latency;

/// <summary>One reporting tick: the last second, and everything since start.</summary>
public sealed record PipelineSnapshot(
    DateTime At,
    double TargetMs,
    PipelineTotals Totals,
    double TpsIn,
    double TpsOut,
    IReadOnlyDictionary<string, LatencyStats> SecondStages,
    IReadOnlyDictionary<string, LatencyStats> CumulativeStages,
    IReadOnlyList<(long ValueMicros, long Count)> EndToEndSecondValues,
    IReadOnlyDictionary<int, long> LagByPartition,
    IReadOnlyDictionary<string, long> ReasonCounts,
    IReadOnlyList<Storage.Records.DecisionRecord> RecentDeclines,
    IReadOnlyDictionary<string, IReadOnlyList<(long ValueMicros, long Count)>> StageSecondValues,
    IReadOnlyDictionary<string, long> DeadLetterReasons);

/// <summary>
/// What the service reports about itself: the reporter thread publishes a snapshot every second and
/// keeps the cumulative histograms; the dashboard, the demo's progress line and its final report read it.
/// </summary>
public sealed class PipelineTelemetry
{
    private readonly object _historyGate = new();
    private readonly Queue<PipelineSnapshot> _history = new();
    private volatile PipelineSnapshot? _latest;

    public PipelineTelemetry(double targetMs)
    {
        TargetMs = targetMs;
        for (var i = 0; i < StageNames.Count; i++)
        {
            Cumulative[i] = LatencyStats.NewHistogram();
        }
    }

    public double TargetMs { get; }

    /// <summary>Cumulative per-stage histograms (microseconds); written by the reporter only.</summary>
    internal LongHistogram[] Cumulative { get; } = new LongHistogram[StageNames.Count];

    /// <summary>Seconds with traffic left out of <see cref="SteadyEndToEnd"/> (JIT, model warm-up, first connections).</summary>
    public const int WarmupSeconds = 5;

    /// <summary>End-to-end latency after the first <see cref="WarmupSeconds"/> seconds with traffic; reporter-written.</summary>
    internal LongHistogram SteadyEndToEndHistogram { get; } = LatencyStats.NewHistogram();

    internal int SecondsWithTraffic { get; set; }

    private TaskCompletionSource? _restart;

    /// <summary>
    /// Starts the cumulative and steady-state histograms afresh at the reporter's next tick: whatever was recorded
    /// before (e.g. a warm-up stream, once it is fully decided and stored) is left out of them. Counters are untouched.
    /// The task completes once the reporter has applied it.
    /// </summary>
    public Task RestartMeasurementAsync()
    {
        lock (_historyGate)
        {
            _restart ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _restart.Task;
        }
    }

    /// <summary>Reporter only, under <see cref="Gate"/>: the pending restart, if any, now taken.</summary>
    internal TaskCompletionSource? TakeRestartLocked()
    {
        var restart = _restart;
        _restart = null;
        return restart;
    }

    /// <summary>End-to-end percentiles of the steady state: everything after the warm-up seconds.</summary>
    public LatencyStats SteadyEndToEnd()
    {
        lock (_historyGate)
        {
            return LatencyStats.From(SteadyEndToEndHistogram, TargetMs);
        }
    }

    public PipelineSnapshot? Latest => _latest;

    public event Action<PipelineSnapshot>? Published;

    public IReadOnlyList<PipelineSnapshot> History(int seconds)
    {
        lock (_historyGate)
        {
            var all = _history.ToArray();
            return all.Length <= seconds ? all : all[^seconds..];
        }
    }

    /// <summary>Percentiles since start for every stage.</summary>
    public IReadOnlyDictionary<string, LatencyStats> CumulativeStats()
    {
        var result = new Dictionary<string, LatencyStats>(StringComparer.Ordinal);
        lock (_historyGate)
        {
            for (var i = 0; i < StageNames.Count; i++)
            {
                result[StageNames.All[i]] = LatencyStats.From(Cumulative[i], TargetMs);
            }
        }

        return result;
    }

    internal object Gate => _historyGate;

    internal void Publish(PipelineSnapshot snapshot)
    {
        lock (_historyGate)
        {
            _history.Enqueue(snapshot);
            while (_history.Count > 600)
            {
                _history.Dequeue();
            }
        }

        _latest = snapshot;
        Published?.Invoke(snapshot);
    }
}
