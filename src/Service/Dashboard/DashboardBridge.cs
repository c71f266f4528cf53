using FraudStream.Core.Latency;
using FraudStream.Core.Identifiers;
using FraudStream.Dashboard.Hosting;
using FraudStream.Dashboard.Snapshots;
using FraudStream.Dashboard.State;
using FraudStream.Pipeline.Hosting;
using FraudStream.Pipeline.Latency;
using FraudStream.Scoring.Stage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FraudStream.Service.Dashboard;

/// <summary>
/// Serves the dashboard while the service runs and turns each of the pipeline's one-second snapshots into
/// the dashboard's snapshot (off the hot path: the reporter thread publishes once a second).
/// </summary>
public sealed class DashboardBridge(
    DashboardOptions options,
    DecisionService service,
    ModelScoringStage scoring,
    IRulesStatus rules,
    StoreReviewStore reviews,
    ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    /// <summary>Upper bounds (ms) of the last-minute histogram: log-spaced, 0.25 ms to 8 s.</summary>
    private static readonly double[] BucketBounds = BuildBounds();
    private readonly DashboardState _state = new();
    private readonly Queue<IReadOnlyList<(long ValueMicros, long Count)>> _lastMinute = new();
    private DashboardHost? _host;
    private DecisionCounts _previousTotals = new();

    public DashboardState State => _state;

    public Uri? Address => _host?.Address;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        _host = await DashboardHost.StartAsync(options, _state, reviews, loggers, cancellationToken);
        service.Telemetry.Published += OnPublished;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        service.Telemetry.Published -= OnPublished;
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
            _host = null;
        }
    }

    private void OnPublished(PipelineSnapshot s)
    {
        _state.Publish(Convert(s));
    }

    internal DashboardSnapshot Convert(PipelineSnapshot s)
    {
        _lastMinute.Enqueue(s.EndToEndSecondValues);
        while (_lastMinute.Count > 60)
        {
            _lastMinute.Dequeue();
        }

        var totals = new DecisionCounts { Approve = s.Totals.Approve, Review = s.Totals.Review, Decline = s.Totals.Decline };
        var perSecond = new DecisionCounts
        {
            Approve = totals.Approve - _previousTotals.Approve,
            Review = totals.Review - _previousTotals.Review,
            Decline = totals.Decline - _previousTotals.Decline,
        };
        _previousTotals = totals;
        var stages = new List<StageLatency>();
        foreach (var name in FraudStream.Dashboard.Snapshots.StageNames.All)
        {
            if (!s.SecondStages.TryGetValue(name, out var stats))
            {
                continue;
            }

            var values = new List<ValueCount>();
            if (s.StageSecondValues.TryGetValue(name, out var raw))
            {
                foreach (var (micros, count) in raw)
                {
                    values.Add(new ValueCount(micros / 1000.0, count));
                }
            }

            stages.Add(new StageLatency { Stage = name, Count = stats.Count, P50Ms = stats.P50, P99Ms = stats.P99, Values = values });
        }

        var top = new List<RuleFiredCount>();
        foreach (var (rule, count) in s.ReasonCounts)
        {
            if (!rule.StartsWith("feature:", StringComparison.Ordinal))
            {
                top.Add(new RuleFiredCount(rule, count));
            }
        }

        top.Sort((a, b) => b.Count.CompareTo(a.Count));
        var declines = new List<RecentDecline>();
        for (var i = s.RecentDeclines.Count - 1; i >= 0; i--)
        {
            var d = s.RecentDeclines[i];
            declines.Add(new RecentDecline
            {
                Id = d.Id, Card = CardIdentifier.Mask(d.Card), Amount = d.Amount, Currency = d.Currency, Score = d.Score ?? double.NaN,
                Reasons = d.Reasons.Length == 0 ? [] : d.Reasons.Split('|'),
                Time = new DateTimeOffset(DateTime.SpecifyKind(d.DecidedAt, DateTimeKind.Utc)),
            });
        }

        var lag = new List<PartitionLag>();
        foreach (var (partition, value) in s.LagByPartition)
        {
            lag.Add(new PartitionLag(Core.Contracts.Topics.Transactions, partition, value));
        }

        lag.Sort((a, b) => a.Partition.CompareTo(b.Partition));
        var batches = scoring.Service.Batcher.HistogramSnapshot();
        var batchSizes = new List<BatchSizeCount>();
        for (var b = 0; b < batches.Length; b++)
        {
            if (batches[b] > 0)
            {
                batchSizes.Add(new BatchSizeCount(Scoring.Batching.MicroBatcher.BucketUpperBound(b), batches[b]));
            }
        }

        return new DashboardSnapshot
        {
            Timestamp = new DateTimeOffset(s.At),
            TargetMs = s.TargetMs,
            EndToEnd = Summary(s.SecondStages[Stage.EndToEnd.Name()]),
            EndToEndCumulative = Summary(s.CumulativeStages[Stage.EndToEnd.Name()]),
            LatencyHistogramLastMinute = Histogram(),
            Stages = stages,
            Throughput = new ThroughputStats { TpsIn = s.TpsIn, TpsOut = s.TpsOut, TotalIn = s.Totals.Consumed, TotalOut = s.Totals.Produced },
            ConsumerLag = lag,
            DeadLetters = new DeadLetterStats { Total = s.Totals.DeadLettered, ByReason = s.DeadLetterReasons },
            DuplicatesSuppressed = s.Totals.Duplicates,
            Scorer = new ScorerStatus
            {
                Device = scoring.Current.Device, ModelVersion = scoring.Current.Version, ModelAvailable = scoring.Current.Available, BatchSizes = batchSizes,
            },
            Rules = new RulesStatus { RulesetVersion = rules.RulesetVersion, ReloadErrors = rules.ReloadErrors },
            DecisionsPerSecond = perSecond,
            DecisionsTotal = totals,
            TopRules = top.Count > 10 ? top[..10] : top,
            RecentDeclines = declines,
        };
    }

    private List<HistogramBucket> Histogram()
    {
        var counts = new long[BucketBounds.Length];
        foreach (var second in _lastMinute)
        {
            foreach (var (micros, count) in second)
            {
                var ms = micros / 1000.0;
                var i = 0;
                while (i < BucketBounds.Length - 1 && ms > BucketBounds[i])
                {
                    i++;
                }

                counts[i] += count;
            }
        }

        var buckets = new List<HistogramBucket>(BucketBounds.Length);
        for (var i = 0; i < BucketBounds.Length; i++)
        {
            buckets.Add(new HistogramBucket(BucketBounds[i], counts[i]));
        }

        return buckets;
    }

    private static LatencySummary Summary(LatencyStats s) => new()
    {
        Count = s.Count, P50Ms = s.P50, P90Ms = s.P90, P99Ms = s.P99, P999Ms = s.P999, MaxMs = s.Max, WithinTarget = s.WithinTarget,
    };

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

/// <summary>What the dashboard shows about the rules: version and recent reload failures.</summary>
public interface IRulesStatus
{
    string RulesetVersion { get; }

    IReadOnlyList<RulesReloadError> ReloadErrors { get; }
}
