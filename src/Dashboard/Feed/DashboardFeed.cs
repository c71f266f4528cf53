using FraudStream.Core.Contracts;
using FraudStream.Core.Identifiers;
using FraudStream.Core.Latency;
using FraudStream.Core.Telemetry;
using FraudStream.Dashboard.Snapshots;
using FraudStream.Dashboard.State;

namespace FraudStream.Dashboard.Feed;

/// <summary>
/// The dashboard's end of the telemetry feed, and the one place where the pipeline's snapshot becomes the
/// dashboard's: each second's snapshot is converted and published to the <see cref="DashboardState"/>. Called by the
/// pipeline's reporter thread only, so the little it keeps between seconds needs no lock.
/// </summary>
public sealed class DashboardFeed(DashboardState state) : ITelemetryFeed
{
    private const int TopRulesShown = 10;
    private readonly LastMinuteHistogram _lastMinute = new();
    private DecisionCounts _previousTotals = new();

    public void Publish(PipelineSnapshot snapshot) => state.Publish(Convert(snapshot));

    internal DashboardSnapshot Convert(PipelineSnapshot s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var endToEnd = Stage.EndToEnd.Name();
        _lastMinute.Add(s.StageSecondValues[endToEnd]);
        var totals = new DecisionCounts { Approve = s.Totals.Approve, Review = s.Totals.Review, Decline = s.Totals.Decline };
        var perSecond = new DecisionCounts
        {
            Approve = totals.Approve - _previousTotals.Approve,
            Review = totals.Review - _previousTotals.Review,
            Decline = totals.Decline - _previousTotals.Decline,
        };
        _previousTotals = totals;
        return new DashboardSnapshot
        {
            Timestamp = new DateTimeOffset(DateTime.SpecifyKind(s.At, DateTimeKind.Utc)),
            StoreFailingSince = s.StoreFailingSince is { } failing ? new DateTimeOffset(DateTime.SpecifyKind(failing, DateTimeKind.Utc)) : null,
            TargetMs = s.TargetMs,
            EndToEnd = Summary(s.SecondStages[endToEnd]),
            EndToEndCumulative = Summary(s.CumulativeStages[endToEnd]),
            LatencyHistogramLastMinute = _lastMinute.Buckets(),
            Stages = Stages(s),
            Throughput = new ThroughputStats { TpsIn = s.TpsIn, TpsOut = s.TpsOut, TotalIn = s.Totals.Consumed, TotalOut = s.Totals.Produced },
            ConsumerLag = Lag(s.LagByPartition),
            DeadLetters = new DeadLetterStats { Total = s.Totals.DeadLettered, ByReason = s.Outcomes.DeadLetterReasons },
            DuplicatesSuppressed = s.Totals.Duplicates,
            FeatureState = new FeatureStateStats
            {
                Cards = s.FeatureState.Cards, CardsEvicted = s.FeatureState.CardsEvicted, Merchants = s.FeatureState.Merchants,
                Devices = s.FeatureState.Devices, GraphNodesEvicted = s.FeatureState.GraphNodesEvicted,
            },
            Scorer = new ScorerStatus
            {
                Device = s.Scorer.Device, ModelVersion = s.Scorer.ModelVersion, ModelAvailable = s.Scorer.ModelAvailable, BatchSizes = s.Scorer.BatchSizes,
            },
            Rules = new RulesStatus { RulesetVersion = s.Rules.RulesetVersion, ReloadErrors = s.Rules.ReloadErrors, HitTotals = s.Rules.HitTotals },
            DecisionsPerSecond = perSecond,
            DecisionsTotal = totals,
            TopRules = TopRules(s.Outcomes.ReasonCounts),
            RecentDeclines = Declines(s.Outcomes.RecentDeclines),
            Instance = Instance(s.Instance, s.At),
            Challenger = Challenger(s.Challenger),
        };
    }

    private static ChallengerStatus Challenger(ChallengerTelemetry c)
    {
        var skipped = new Dictionary<string, long>(ChallengerSkips.Count, StringComparer.Ordinal);
        for (var i = 0; i < ChallengerSkips.Count; i++)
        {
            skipped[ChallengerSkips.All[i]] = c.SkippedRows[i];
        }

        return new ChallengerStatus
        {
            State = c.State, Version = c.Version, Rejected = c.Rejected, Scored = c.ScoredRows, Skipped = skipped, Batches = c.Batches,
            MeanComputeMicros = c.Batches == 0 ? 0 : c.ComputeMicros / c.Batches,
            MeanChampionComputeMicros = c.Batches == 0 ? 0 : c.ChampionComputeMicros / c.Batches,
            OverBudgetBatches = c.OverBudgetBatches, Comparison = c.Comparison,
        };
    }

    private static InstanceStatus Instance(InstanceTelemetry instance, DateTime at)
    {
        var c = instance.Checkpoints;
        return new InstanceStatus
        {
            Name = instance.Name,
            PartitionsDecided = instance.DecidedPartitions,
            PartitionsFollowed = instance.FollowedPartitions,
            PartitionsReplaying = c.PartitionsReplaying,
            Checkpoint = new CheckpointSummary
            {
                Saved = c.Saved, Failed = c.Failed, AgeSeconds = c.AgeSeconds(at), LastBytes = c.LastBytes, LastCaptureMs = c.LastCaptureMs,
                LastSavedAt = c.LastSavedAt is { } saved ? new DateTimeOffset(DateTime.SpecifyKind(saved, DateTimeKind.Utc)) : null,
                RestoredSeq = c.RestoredSeq, RestoreMs = c.RestoreMs,
            },
        };
    }

    private static LatencySummary Summary(LatencyStats s) => new()
    {
        Count = s.Count, P50Ms = s.P50, P90Ms = s.P90, P99Ms = s.P99, P999Ms = s.P999, MaxMs = s.Max, WithinTarget = s.WithinTarget,
    };

    /// <summary>Every stage, in pipeline order, with its raw values for /metrics.</summary>
    private static StageLatency[] Stages(PipelineSnapshot s)
    {
        var stages = new StageLatency[StageNames.Count];
        for (var i = 0; i < stages.Length; i++)
        {
            var name = StageNames.All[i];
            var stats = s.SecondStages[name];
            var raw = s.StageSecondValues[name];
            var values = new ValueCount[raw.Count];
            for (var v = 0; v < values.Length; v++)
            {
                values[v] = new ValueCount(raw[v].ValueMicros / 1000.0, raw[v].Count);
            }

            stages[i] = new StageLatency { Stage = name, Count = stats.Count, P50Ms = stats.P50, P99Ms = stats.P99, Values = values };
        }

        return stages;
    }

    private static List<PartitionLag> Lag(IReadOnlyDictionary<int, long> byPartition)
    {
        var lag = new List<PartitionLag>(byPartition.Count);
        foreach (var (partition, value) in byPartition)
        {
            lag.Add(new PartitionLag(Topics.Transactions, partition, value));
        }

        lag.Sort((a, b) => a.Partition.CompareTo(b.Partition));
        return lag;
    }

    /// <summary>The most given reasons, highest first; feature contributions are explanations, not rules.</summary>
    private static List<RuleFiredCount> TopRules(IReadOnlyDictionary<string, long> reasonCounts)
    {
        var top = new List<RuleFiredCount>();
        foreach (var (reason, count) in reasonCounts)
        {
            if (!reason.StartsWith("feature:", StringComparison.Ordinal))
            {
                top.Add(new RuleFiredCount(reason, count));
            }
        }

        top.Sort((a, b) => b.Count.CompareTo(a.Count));
        return top.Count > TopRulesShown ? top[..TopRulesShown] : top;
    }

    /// <summary>Newest first, card ids masked; no score (no model) stays null.</summary>
    private static DeclinedTransaction[] Declines(IReadOnlyList<DeclinedTransaction> oldestFirst)
    {
        var declines = new DeclinedTransaction[oldestFirst.Count];
        for (var i = 0; i < declines.Length; i++)
        {
            var decline = oldestFirst[oldestFirst.Count - 1 - i];
            declines[i] = decline with { Card = CardIdentifier.Mask(decline.Card) };
        }

        return declines;
    }
}
