using FraudStream.Core.Contracts;
using FraudStream.Core.Latency;
using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;
using FraudStream.Dashboard.Reviews;
using FraudStream.Dashboard.Snapshots;

namespace FraudStream.Dashboard.Tests.Support;

/// <summary>Snapshots shaped like the pipeline's reporter output; values derive from the step so they change.</summary>
internal static class TestSnapshots
{
    public const double TargetMs = 50;

    /// <summary>A raw card number (Visa test PAN) that must never leave the dashboard.</summary>
    public const string RawPan = "4111111111111111";

    public static readonly DateTimeOffset Start = new(2026, 11, 29, 3, 0, 0, TimeSpan.Zero);

    /// <summary>A decline made while no model scores: the rules decided, and there is no score to show.</summary>
    public static DeclinedTransaction ModelUnavailableDecline(int step) => new()
    {
        Id = "tx-no-model-" + step,
        Card = "••••0004",
        Amount = 75m,
        Currency = "EUR",
        Score = null,
        Reasons = ["model_unavailable", "blocked_merchant"],
        DecidedAt = Start.UtcDateTime.AddSeconds(step),
    };

    /// <summary>A review item queued while no model scores.</summary>
    public static ReviewItem ModelUnavailableReview(string id) => new()
    {
        Id = id,
        Time = Start,
        Card = "••••0004",
        Merchant = "M1823072687",
        Amount = 75m,
        Currency = "EUR",
        Score = null,
        Reasons = ["model_unavailable", "velocity_hour"],
    };

    public static DashboardSnapshot Create(int step, double p99Ms = 20, DateTimeOffset? at = null)
    {
        var time = at ?? Start.AddSeconds(step);
        var p50 = p99Ms / 4;
        var decided = 1000L + (step * 10);
        return new DashboardSnapshot
        {
            Timestamp = time,
            TargetMs = TargetMs,
            EndToEnd = new LatencySummary
            {
                Count = decided,
                P50Ms = p50,
                P90Ms = p99Ms * 0.7,
                P99Ms = p99Ms,
                P999Ms = p99Ms * 1.5,
                MaxMs = p99Ms * 2,
                WithinTarget = p99Ms * 1.5 <= TargetMs ? 1.0 : 0.99,
            },
            EndToEndCumulative = new LatencySummary { Count = decided * (step + 1), P50Ms = 5, P99Ms = 18, P999Ms = 30, MaxMs = 60, WithinTarget = 0.998 },
            LatencyHistogramLastMinute =
            [
                new HistogramBucket(1, 100 + step),
                new HistogramBucket(2, 400),
                new HistogramBucket(4, 900),
                new HistogramBucket(8, 700),
                new HistogramBucket(16, 300),
                new HistogramBucket(32, 60),
                new HistogramBucket(64, 9),
                new HistogramBucket(128, 1),
            ],
            Stages = StageNames.All.Select((stage, i) => new StageLatency
            {
                Stage = stage,
                Count = decided,
                P50Ms = (i + 1) * 0.5,
                P99Ms = (i + 1) * 1.5 + (step % 3),
                Values = [new ValueCount((i + 1) * 0.5, decided - 10), new ValueCount((i + 1) * 1.5, 10)],
            }).ToList(),
            Throughput = new ThroughputStats { TpsIn = decided + 5, TpsOut = decided, TotalIn = decided * (step + 1) + 5, TotalOut = decided * (step + 1) },
            ConsumerLag = [new PartitionLag("transactions", 0, 10 + step), new PartitionLag("transactions", 1, 3)],
            DeadLetters = new DeadLetterStats
            {
                Total = 3 + step,
                ByReason = new Dictionary<string, long> { ["invalid_json"] = 2 + step, ["unknown_currency"] = 1 },
            },
            DuplicatesSuppressed = 7,
            Scorer = new ScorerStatus
            {
                Device = "gpu",
                ModelVersion = "gbt-2026-11-28",
                ModelAvailable = true,
                BatchSizes = [new BatchSizeCount(1, 40), new BatchSizeCount(8, 120), new BatchSizeCount(32, 300 + step), new BatchSizeCount(64, 90)],
            },
            Rules = new RulesStatus
            {
                RulesetVersion = "rules-v7",
                ReloadErrors = [new RulesReloadError(Start, "rule 'velocity' failed to compile near card 4111 1111 1111 1111")],
                HitTotals = [new RuleHitTotal("high_amount_new_merchant", DecisionKind.Review, false, 42 + step), new RuleHitTotal("amount_outlier", DecisionKind.Review, true, 5)],
            },
            DecisionsPerSecond = new DecisionCounts { Approve = decided - 30, Review = 20, Decline = 10 },
            DecisionsTotal = new DecisionCounts { Approve = (decided - 30) * (step + 1), Review = 20L * (step + 1), Decline = 10L * (step + 1) },
            TopRules = [new RuleFiredCount("high_amount_new_merchant", 42 + step), new RuleFiredCount("velocity_5m", 17)],
            RecentDeclines =
            [
                new DeclinedTransaction
                {
                    Id = "tx-" + step,
                    Card = RawPan,
                    Amount = 912.50m,
                    Currency = "EUR",
                    Score = 0.97,
                    Reasons = ["score_above_0.9", "high_amount_new_merchant"],
                    DecidedAt = time.UtcDateTime,
                },
            ],
        };
    }
}
