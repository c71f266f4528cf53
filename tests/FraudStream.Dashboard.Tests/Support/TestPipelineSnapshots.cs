using FraudStream.Core.Contracts;
using FraudStream.Core.Latency;
using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;

namespace FraudStream.Dashboard.Tests.Support;

/// <summary>What the pipeline's reporter hands the feed: every stage recorded, a decline made without a model, rule hits.</summary>
internal static class TestPipelineSnapshots
{
    public static readonly RuleHitTotal[] Hits =
    [
        new("blocked_merchant", DecisionKind.Decline, Shadow: false, Hits: 12),
        new("velocity_hour", DecisionKind.Review, Shadow: false, Hits: 40),
        new("amount_outlier", DecisionKind.Review, Shadow: true, Hits: 7),
    ];

    public const string InstanceName = "fraudstream-2";

    /// <summary>The last checkpoint was taken this long before each snapshot.</summary>
    public const int CheckpointAgeSeconds = 4;

    public static PipelineSnapshot Create(int step, IReadOnlyList<RuleHitTotal>? hits = null)
    {
        var second = new Dictionary<string, LatencyStats>(StringComparer.Ordinal);
        var values = new Dictionary<string, IReadOnlyList<(long ValueMicros, long Count)>>(StringComparer.Ordinal);
        for (var i = 0; i < StageNames.Count; i++)
        {
            // Stage i took (i + 1) ms at the median: distinct per stage, so a misplaced stage shows.
            second[StageNames.All[i]] = new LatencyStats(100, i + 1, i + 1.5, i + 2, i + 2.5, i + 3, 1);
            values[StageNames.All[i]] = [((i + 1) * 1000L, 90), ((i + 2) * 1000L, 10)];
        }

        var at = TestSnapshots.Start.UtcDateTime.AddSeconds(step);
        return new PipelineSnapshot
        {
            At = at,
            TargetMs = TestSnapshots.TargetMs,
            Totals = new PipelineTotals { Consumed = 100 * (step + 1), Decided = 100 * (step + 1), Approve = 90 * (step + 1), Review = 8 * (step + 1), Decline = 2 * (step + 1), Produced = 100 * (step + 1) },
            TpsIn = 100,
            TpsOut = 100,
            SecondStages = second,
            CumulativeStages = second,
            StageSecondValues = values,
            LagByPartition = new Dictionary<int, long> { [1] = 4, [0] = 9 },
            Outcomes = new OutcomeSummary(
                new Dictionary<string, long> { ["blocked_merchant"] = 12, ["model_unavailable"] = 100, ["feature:amount_zscore"] = 3 },
                [
                    new DeclinedTransaction
                    {
                        Id = "tx-no-model", Card = TestSnapshots.RawPan, Amount = 75m, Currency = "EUR", Score = null,
                        Reasons = ["blocked_merchant", "model_unavailable"], DecidedAt = TestSnapshots.Start.UtcDateTime,
                    },
                ],
                new Dictionary<string, long> { ["invalid_json"] = 1 }),
            Scorer = new ScorerTelemetry("none", "none", ModelAvailable: false, []),
            Rules = new RulesTelemetry("rules-v7", [], hits ?? Hits),
            Instance = new InstanceTelemetry(InstanceName, [0, 3], [1, 2, 4, 5], new CheckpointTelemetry(
                Saved: 7, Failed: 1, LastSavedAt: at.AddSeconds(-CheckpointAgeSeconds), LastBytes: 1_572_864, LastCaptureMs: 12.5,
                RestoredSeq: 41, RestoreMs: 830, PartitionsReplaying: 2)),
        };
    }
}
