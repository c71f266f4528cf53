using FraudStream.Core.Latency;
using FraudStream.Core.Telemetry;
using HdrHistogram;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Latency;

/// <summary>
/// What the service reports about itself: the latest one-second snapshot, handed on to every
/// <see cref="ITelemetryFeed"/>, and the cumulative histograms (the demo's progress line and final report read
/// them). Only the reporter thread writes; the lock is private and never taken on the per-transaction path.
/// </summary>
public sealed partial class PipelineTelemetry
{
    /// <summary>Seconds with traffic left out of <see cref="SteadyEndToEnd"/> (JIT, model warm-up, first connections).</summary>
    public const int WarmupSeconds = 5;

    private readonly Lock _gate = new();
    private readonly LongHistogram[] _cumulative = new LongHistogram[StageNames.Count];
    private readonly LongHistogram _steadyEndToEnd = LatencyHistograms.Create();
    private readonly ITelemetryFeed[] _feeds;
    private readonly ILogger _logger;
    private int _secondsWithTraffic;
    private TaskCompletionSource? _restart;
    private volatile PipelineSnapshot? _latest;

    public PipelineTelemetry(LatencyTarget target, IEnumerable<ITelemetryFeed> feeds, ILogger<PipelineTelemetry> logger)
    {
        ArgumentNullException.ThrowIfNull(target);
        TargetMs = target.Milliseconds;
        _feeds = [.. feeds];
        _logger = logger;
        for (var i = 0; i < _cumulative.Length; i++)
        {
            _cumulative[i] = LatencyHistograms.Create();
        }
    }

    public double TargetMs { get; }

    public PipelineSnapshot? Latest => _latest;

    /// <summary>
    /// Starts the cumulative and steady-state histograms afresh at the reporter's next tick: whatever was recorded
    /// before (e.g. a warm-up stream, once it is fully decided and stored) is left out of them. Counters are untouched.
    /// The task completes once the reporter has applied it.
    /// </summary>
    public Task RestartMeasurementAsync()
    {
        lock (_gate)
        {
            _restart ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _restart.Task;
        }
    }

    /// <summary>End-to-end percentiles of the steady state: everything after the warm-up seconds.</summary>
    public LatencyStats SteadyEndToEnd()
    {
        lock (_gate)
        {
            return LatencyHistograms.Summarize(_steadyEndToEnd, TargetMs);
        }
    }

    /// <summary>Percentiles since start (or the last restart) for every stage.</summary>
    public IReadOnlyDictionary<string, LatencyStats> CumulativeStats()
    {
        var result = new Dictionary<string, LatencyStats>(StringComparer.Ordinal);
        lock (_gate)
        {
            for (var i = 0; i < StageNames.Count; i++)
            {
                result[StageNames.All[i]] = LatencyHistograms.Summarize(_cumulative[i], TargetMs);
            }
        }

        return result;
    }

    /// <summary>
    /// Reporter only: adds one second's histograms (indexed by <see cref="Stage"/>) to the measurement, or, when a
    /// restart is pending, starts the measurement afresh instead: that second is shown, and left out of the totals.
    /// </summary>
    internal void AddSecond(IReadOnlyList<HistogramBase> second)
    {
        TaskCompletionSource? restart;
        lock (_gate)
        {
            restart = _restart;
            _restart = null;
            if (restart is not null)
            {
                foreach (var histogram in _cumulative)
                {
                    histogram.Reset();
                }

                _steadyEndToEnd.Reset();
                _secondsWithTraffic = 0;
            }
            else
            {
                for (var s = 0; s < _cumulative.Length; s++)
                {
                    _cumulative[s].Add(second[s]);
                }

                var endToEnd = second[(int)Stage.EndToEnd];
                if (endToEnd.TotalCount > 0 && ++_secondsWithTraffic > WarmupSeconds)
                {
                    _steadyEndToEnd.Add(endToEnd);
                }
            }
        }

        restart?.TrySetResult();
    }

    /// <summary>Reporter only: the second's snapshot becomes <see cref="Latest"/> and goes to every feed, in order.</summary>
    internal void Publish(PipelineSnapshot snapshot)
    {
        _latest = snapshot;
        foreach (var feed in _feeds)
        {
            try
            {
                feed.Publish(snapshot);
            }
#pragma warning disable CA1031 // A failing feed must not stop the reporter, nor the other feeds.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogFeedFailed(_logger, ex, feed.GetType().Name);
            }
        }
    }

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Telemetry feed {Feed} failed to take a snapshot")]
    private static partial void LogFeedFailed(ILogger logger, Exception exception, string feed);
}
