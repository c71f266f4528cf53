using System.Text.Json.Serialization;
using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;

namespace FraudStream.Dashboard.Snapshots;

/// <summary>
/// One second of pipeline telemetry, as the reporter thread publishes it. Serialized snake_case for the
/// page and the JSON API. Collections are never null; an empty list means "nothing this second".
/// </summary>
public sealed record DashboardSnapshot
{
    /// <summary>Assigned by <see cref="State.DashboardState.Publish"/>; strictly increasing, starting at 1.</summary>
    public long Sequence { get; init; }

    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Since when the store has refused the outcomes being retried; null while it takes them (/healthz says degraded).</summary>
    public DateTimeOffset? StoreFailingSince { get; init; }

    public double TargetMs { get; init; }

    /// <summary>End-to-end latency of the transactions decided in this second.</summary>
    public LatencySummary EndToEnd { get; init; } = LatencySummary.Empty;

    /// <summary>End-to-end latency since the pipeline started.</summary>
    public LatencySummary EndToEndCumulative { get; init; } = LatencySummary.Empty;

    /// <summary>End-to-end latency over the last minute, log-spaced buckets in ascending order.</summary>
    public IReadOnlyList<HistogramBucket> LatencyHistogramLastMinute { get; init; } = [];

    /// <summary>One entry per stage of <see cref="Core.Latency.Stage"/>, in pipeline order; names from <see cref="Core.Latency.StageNames"/>.</summary>
    public IReadOnlyList<StageLatency> Stages { get; init; } = [];

    public ThroughputStats Throughput { get; init; } = new();

    public IReadOnlyList<PartitionLag> ConsumerLag { get; init; } = [];

    public DeadLetterStats DeadLetters { get; init; } = new();

    public long DuplicatesSuppressed { get; init; }

    /// <summary>Feature state held and dropped by its caps (cards per partition, merchants and devices in the graph).</summary>
    public FeatureStateStats FeatureState { get; init; } = new();

    public ScorerStatus Scorer { get; init; } = new();

    public RulesStatus Rules { get; init; } = new();

    public DecisionCounts DecisionsPerSecond { get; init; } = new();

    public DecisionCounts DecisionsTotal { get; init; } = new();

    /// <summary>Most-fired rules, highest count first (cumulative).</summary>
    public IReadOnlyList<RuleFiredCount> TopRules { get; init; } = [];

    /// <summary>Latest declines, newest first. Card ids must already be masked; the state masks again.</summary>
    public IReadOnlyList<DeclinedTransaction> RecentDeclines { get; init; } = [];

    /// <summary>This instance of the consumer group: the partitions it decides and follows, its checkpoints.</summary>
    public InstanceStatus Instance { get; init; } = new();

    /// <summary>The challenger in shadow: state, what it scored and skipped, its cost, the comparison with the champion.</summary>
    public ChallengerStatus Challenger { get; init; } = new();
}

/// <summary>
/// The challenger as the page and /metrics show it. <see cref="State"/>: <c>none</c>, <c>scoring</c>, <c>refused</c>
/// (the package in its folder was not loaded: <see cref="Rejected"/>) or <c>promoted</c>. Skipped counts transactions
/// per reason (<c>load</c>: dropped under load). Compute in microseconds per batch, mean over the batches it ran.
/// </summary>
public sealed record ChallengerStatus
{
    public string State { get; init; } = "none";

    public string? Version { get; init; }

    public string? Rejected { get; init; }

    public long Scored { get; init; }

    public IReadOnlyDictionary<string, long> Skipped { get; init; } = new Dictionary<string, long>();

    public long Batches { get; init; }

    public double MeanComputeMicros { get; init; }

    public double MeanChampionComputeMicros { get; init; }

    public long OverBudgetBatches { get; init; }

    /// <summary>Null until the store holds decisions of the current pair (read every few seconds).</summary>
    public ModelComparison? Comparison { get; init; }
}

/// <summary>One instance of the consumer group; the lag of its decided partitions is <see cref="DashboardSnapshot.ConsumerLag"/>.</summary>
public sealed record InstanceStatus
{
    /// <summary>The instance's client id.</summary>
    public string Name { get; init; } = "";

    /// <summary>Partitions the group assigned this instance, ascending.</summary>
    public IReadOnlyList<int> PartitionsDecided { get; init; } = [];

    /// <summary>Partitions folded into this instance's features only (other instances decide them), ascending.</summary>
    public IReadOnlyList<int> PartitionsFollowed { get; init; } = [];

    /// <summary>Partitions whose features are still being replayed after the start; nothing is decided until none are.</summary>
    public long PartitionsReplaying { get; init; }

    public CheckpointSummary Checkpoint { get; init; } = new();
}

/// <summary>The instance's feature-state checkpoints and the restore it started from.</summary>
public sealed record CheckpointSummary
{
    public long Saved { get; init; }

    public long Failed { get; init; }

    /// <summary>When the last saved checkpoint was taken; null before the first.</summary>
    public DateTimeOffset? LastSavedAt { get; init; }

    /// <summary>Seconds from <see cref="LastSavedAt"/> to this snapshot: how much a restart would replay at least.</summary>
    public double? AgeSeconds { get; init; }

    public long LastBytes { get; init; }

    public double LastCaptureMs { get; init; }

    /// <summary>The checkpoint restored at start, or -1 when none was (the features were rebuilt from the log).</summary>
    public long RestoredSeq { get; init; } = -1;

    public double RestoreMs { get; init; }
}

/// <summary>Percentiles in milliseconds, and the share of transactions at or under the target (0..1).</summary>
public sealed record LatencySummary
{
    public static LatencySummary Empty { get; } = new();

    public long Count { get; init; }

    public double P50Ms { get; init; }

    public double P90Ms { get; init; }

    public double P99Ms { get; init; }

    public double P999Ms { get; init; }

    public double MaxMs { get; init; }

    public double WithinTarget { get; init; }
}

/// <summary>A histogram bucket: how many values were at most <see cref="UpperBoundMs"/> and above the previous bound.</summary>
public sealed record HistogramBucket(double UpperBoundMs, long Count);

/// <summary>A recorded value (milliseconds) and how many times it was seen.</summary>
public readonly record struct ValueCount(double ValueMs, long Count);

public sealed record StageLatency
{
    public required string Stage { get; init; }

    public long Count { get; init; }

    public double P50Ms { get; init; }

    public double P99Ms { get; init; }

    /// <summary>
    /// Raw value→count pairs of this second, fed to the Prometheus histograms. Not part of the JSON API
    /// (the page needs the percentiles only), and dropped from history older than a minute.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<ValueCount> Values { get; init; } = [];
}

public sealed record ThroughputStats
{
    public double TpsIn { get; init; }

    public double TpsOut { get; init; }

    public long TotalIn { get; init; }

    public long TotalOut { get; init; }
}

public sealed record PartitionLag(string Topic, int Partition, long Lag);

public sealed record DeadLetterStats
{
    public long Total { get; init; }

    /// <summary>Cumulative count per reason code (DeadLetterReason.ToCode()).</summary>
    public IReadOnlyDictionary<string, long> ByReason { get; init; } = new Dictionary<string, long>();
}

public sealed record ScorerStatus
{
    /// <summary>"gpu" or "cpu" (free text, e.g. "CUDA:0").</summary>
    public string Device { get; init; } = "";

    public string ModelVersion { get; init; } = "";

    public bool ModelAvailable { get; init; }

    /// <summary>Batch size → how many batches of that size (cumulative), ascending by size.</summary>
    public IReadOnlyList<BatchSizeCount> BatchSizes { get; init; } = [];
}

public sealed record RulesStatus
{
    public string RulesetVersion { get; init; } = "";

    /// <summary>Recent reload failures, newest first.</summary>
    public IReadOnlyList<RulesReloadError> ReloadErrors { get; init; } = [];

    /// <summary>Hits of each rule of the ruleset in force since it was loaded, shadow rules included, in ruleset order.</summary>
    public IReadOnlyList<RuleHitTotal> HitTotals { get; init; } = [];
}

public sealed record DecisionCounts
{
    public long Approve { get; init; }

    public long Review { get; init; }

    public long Decline { get; init; }
}

public sealed record RuleFiredCount(string Rule, long Count);

public sealed record FeatureStateStats
{
    public long Cards { get; init; }

    public long CardsEvicted { get; init; }

    public long Merchants { get; init; }

    public long Devices { get; init; }

    public long GraphNodesEvicted { get; init; }
}
