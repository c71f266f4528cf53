using FraudStream.Core.Latency;
using FraudStream.Core.Telemetry;
using FraudStream.Storage;
using FraudStream.Storage.Records;
using HdrHistogram;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Latency;

/// <summary>
/// Once a second: takes the interval histograms of every recording thread, adds them to the telemetry's
/// measurement, publishes the second's snapshot, and stores the end-to-end aggregate of the second.
/// </summary>
internal sealed partial class LatencyReporter
{
    private readonly PipelineTelemetry _telemetry;
    private readonly ReportingInputs _inputs;
    private readonly FraudStore _store;
    private readonly ILogger _logger;
    private readonly LongHistogram[] _second = new LongHistogram[StageNames.Count];
    private PipelineTotals _previous = new();
    private DateTime _previousAt = DateTime.UtcNow;

    public LatencyReporter(PipelineTelemetry telemetry, ReportingInputs inputs, FraudStore store, ILogger logger)
    {
        _telemetry = telemetry;
        _inputs = inputs;
        _store = store;
        _logger = logger;
        for (var i = 0; i < _second.Length; i++)
        {
            _second[i] = LatencyHistograms.Create();
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
        DrainRecorders();
        _telemetry.AddSecond(_second);
        var snapshot = Snapshot(now);
        _telemetry.Publish(snapshot);
        await StoreAggregateAsync(now, snapshot.SecondStages[Stage.EndToEnd.Name()]);
    }

    /// <summary>This second's values of every stage, from every recording thread (their recorders swap, never lock).</summary>
    private void DrainRecorders()
    {
        for (var s = 0; s < _second.Length; s++)
        {
            _second[s].Reset();
            foreach (var recorder in _inputs.Recorders)
            {
                recorder.DrainInto((Stage)s, _second[s]);
            }
        }
    }

    private PipelineSnapshot Snapshot(DateTime now)
    {
        var second = new Dictionary<string, LatencyStats>(StringComparer.Ordinal);
        var values = new Dictionary<string, IReadOnlyList<(long ValueMicros, long Count)>>(StringComparer.Ordinal);
        for (var s = 0; s < _second.Length; s++)
        {
            second[StageNames.All[s]] = LatencyHistograms.Summarize(_second[s], _telemetry.TargetMs);
            values[StageNames.All[s]] = LatencyHistograms.Values(_second[s]);
        }

        var totals = _inputs.Totals();
        var elapsed = Math.Max(0.001, (now - _previousAt).TotalSeconds);
        var snapshot = new PipelineSnapshot
        {
            At = now,
            TargetMs = _telemetry.TargetMs,
            Totals = totals,
            TpsIn = (totals.Consumed - _previous.Consumed) / elapsed,
            TpsOut = (totals.Produced - _previous.Produced) / elapsed,
            SecondStages = second,
            CumulativeStages = _telemetry.CumulativeStats(),
            StageSecondValues = values,
            LagByPartition = _inputs.Consumer.LagByPartition,
            Outcomes = _inputs.Outcomes.Latest,
            Scorer = _inputs.Scorer(),
            Rules = _inputs.RulesNow(),
            Instance = _inputs.InstanceNow(),
            FeatureState = _inputs.FeatureStateNow(),
            Challenger = _inputs.Challenger.Now(),
            StoreFailingSince = _inputs.StoreWriter.FailingSince,
        };
        _previous = totals;
        _previousAt = now;
        return snapshot;
    }

    private async Task StoreAggregateAsync(DateTime now, LatencyStats e2e)
    {
        if (e2e.Count == 0)
        {
            return;
        }

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

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Storing the latency aggregate failed")]
    private static partial void LogAggregateFailed(ILogger logger, Exception ex);
}
