using FraudStream.Core.Latency;
using FraudStream.Pipeline.Processing;
using FraudStream.Storage;
using FraudStream.Storage.Records;
using HdrHistogram;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Latency;

/// <summary>
/// Once a second: takes the interval histograms of every recording thread, publishes the second's and
/// the cumulative percentiles, and stores the end-to-end aggregate of the second.
/// </summary>
internal sealed partial class LatencyReporter
{
    private readonly PipelineTelemetry _telemetry;
    private readonly IReadOnlyList<StageRecorders> _recorders;
    private readonly Func<IEnumerable<PipelineCounters>> _counters;
    private readonly Func<IReadOnlyDictionary<int, long>> _lag;
    private readonly Func<StoreWriterSnapshot> _storeSnapshot;
    private readonly FraudStore _store;
    private readonly ILogger _logger;
    private readonly LongHistogram[] _second = new LongHistogram[StageNames.Count];
    private PipelineTotals _previous = new();
    private DateTime _previousAt = DateTime.UtcNow;

    public LatencyReporter(PipelineTelemetry telemetry, IReadOnlyList<StageRecorders> recorders, Func<IEnumerable<PipelineCounters>> counters,
        Func<IReadOnlyDictionary<int, long>> lag, Func<StoreWriterSnapshot> storeSnapshot, FraudStore store, ILogger logger)
    {
        _telemetry = telemetry;
        _recorders = recorders;
        _counters = counters;
        _lag = lag;
        _storeSnapshot = storeSnapshot;
        _store = store;
        _logger = logger;
        for (var i = 0; i < _second.Length; i++)
        {
            _second[i] = LatencyStats.NewHistogram();
        }
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                await TickAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: the final tick is taken by the service after the drain.
        }
    }

    public async Task TickAsync()
    {
        var now = DateTime.UtcNow;
        var second = new Dictionary<string, LatencyStats>(StringComparer.Ordinal);
        var stageValues = new Dictionary<string, IReadOnlyList<(long, long)>>(StringComparer.Ordinal);
        TaskCompletionSource? restart;
        lock (_telemetry.Gate)
        {
            restart = _telemetry.TakeRestartLocked();
            for (var s = 0; s < StageNames.Count; s++)
            {
                _second[s].Reset();
                foreach (var recorder in _recorders)
                {
                    recorder.DrainInto((Stage)s, _second[s]);
                }

                if (restart is not null)
                {
                    // This second's values (the warm-up's last) are shown for the second, and left out of the measurement.
                    _telemetry.Cumulative[s].Reset();
                    _telemetry.SteadyEndToEndHistogram.Reset();
                    _telemetry.SecondsWithTraffic = 0;
                }
                else
                {
                    _telemetry.Cumulative[s].Add(_second[s]);
                    if (s == (int)Stage.EndToEnd && _second[s].TotalCount > 0 && ++_telemetry.SecondsWithTraffic > PipelineTelemetry.WarmupSeconds)
                    {
                        _telemetry.SteadyEndToEndHistogram.Add(_second[s]);
                    }
                }

                second[StageNames.All[s]] = LatencyStats.From(_second[s], _telemetry.TargetMs);
                stageValues[StageNames.All[s]] = Values(_second[s]);
            }
        }

        restart?.TrySetResult();
        var totals = PipelineCounters.Sum(_counters());
        var elapsed = Math.Max(0.001, (now - _previousAt).TotalSeconds);
        var tpsIn = (totals.Consumed - _previous.Consumed) / elapsed;
        var tpsOut = (totals.Produced - _previous.Produced) / elapsed;
        _previous = totals;
        _previousAt = now;
        var cumulative = _telemetry.CumulativeStats();
        var store = _storeSnapshot();
        var e2e = second[Stage.EndToEnd.Name()];
        _telemetry.Publish(new PipelineSnapshot(
            now, _telemetry.TargetMs, totals, tpsIn, tpsOut, second, cumulative, (IReadOnlyList<(long, long)>)stageValues[Stage.EndToEnd.Name()],
            _lag(), store.ReasonCounts, store.RecentDeclines, stageValues, store.DeadLetterReasons));

        if (e2e.Count > 0)
        {
            try
            {
                await _store.InsertLatencySecondsAsync([new LatencySecondRecord
                {
                    Second = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc),
                    Count = e2e.Count,
                    P50Us = (long)(e2e.P50 * 1000), P90Us = (long)(e2e.P90 * 1000), P99Us = (long)(e2e.P99 * 1000),
                    P999Us = (long)(e2e.P999 * 1000), MaxUs = (long)(e2e.Max * 1000), WithinTarget = e2e.WithinTarget,
                }]);
            }
#pragma warning disable CA1031 // A lost aggregate row must not stop reporting.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogAggregateFailed(_logger, ex);
            }
        }
    }

    private static List<(long, long)> Values(HistogramBase h)
    {
        var list = new List<(long, long)>();
        foreach (var v in h.RecordedValues())
        {
            list.Add((v.ValueIteratedTo, v.CountAtValueIteratedTo));
        }

        return list;
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Storing the latency aggregate failed")]
    private static partial void LogAggregateFailed(ILogger logger, Exception ex);
}
