namespace FraudStream.Core.Telemetry;

/// <summary>
/// One reporting tick of the decision service: the last second and everything since start. The reporter thread
/// builds one a second and hands it to every <see cref="ITelemetryFeed"/>; nothing in it is written on the
/// per-transaction path. Stage dictionaries hold every stage of <see cref="Latency.Stage"/>, keyed by its name.
/// </summary>
public sealed record PipelineSnapshot
{
    public required DateTime At { get; init; }

    public required double TargetMs { get; init; }

    public required PipelineTotals Totals { get; init; }

    public double TpsIn { get; init; }

    public double TpsOut { get; init; }

    /// <summary>Percentiles of the last second, per stage.</summary>
    public required IReadOnlyDictionary<string, LatencyStats> SecondStages { get; init; }

    /// <summary>Percentiles since start (or since the last measurement restart), per stage.</summary>
    public required IReadOnlyDictionary<string, LatencyStats> CumulativeStages { get; init; }

    /// <summary>The last second's recorded values, ascending, per stage: microseconds and how often each was seen.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<(long ValueMicros, long Count)>> StageSecondValues { get; init; }

    /// <summary>Messages behind the end, per assigned partition of the transactions topic.</summary>
    public required IReadOnlyDictionary<int, long> LagByPartition { get; init; }

    public required OutcomeSummary Outcomes { get; init; }

    public required ScorerTelemetry Scorer { get; init; }

    public required RulesTelemetry Rules { get; init; }

    /// <summary>This instance of the consumer group: what it decides, what it follows, its checkpoints.</summary>
    public required InstanceTelemetry Instance { get; init; }

    /// <summary>How much feature state the instance holds and how much its caps have dropped.</summary>
    public FeatureStateTelemetry FeatureState { get; init; } = FeatureStateTelemetry.None;

    /// <summary>The challenger scoring in shadow, if any: its counts, skips, cost and the latest comparison with the champion.</summary>
    public ChallengerTelemetry Challenger { get; init; } = ChallengerTelemetry.None;

    /// <summary>Since when the store has refused the outcome write being retried (UTC); null while it takes them.</summary>
    public DateTime? StoreFailingSince { get; init; }
}

/// <summary>
/// The feature state's size and its bounds at work: cards held over every partition and cards dropped because a
/// partition held its maximum; merchants and devices in the graph and those dropped because a kind held its maximum.
/// </summary>
public sealed record FeatureStateTelemetry(long Cards, long CardsEvicted, long Merchants, long Devices, long GraphNodesEvicted)
{
    public static readonly FeatureStateTelemetry None = new(0, 0, 0, 0, 0);
}

/// <summary>
/// One instance of the consumer group (docs/STATE.md): its name (the configured client id), the partitions the group
/// assigned it (decided here) and those it folds into its features only (followed), both ascending, and its checkpoints.
/// </summary>
public sealed record InstanceTelemetry(string Name, IReadOnlyList<int> DecidedPartitions, IReadOnlyList<int> FollowedPartitions, CheckpointTelemetry Checkpoints);

/// <summary>
/// The feature-state checkpoints as the instance sees them: how many it saved and how many failed, the last one saved
/// (UTC; null before the first), its size and how long capturing took, the checkpoint restored at start (-1: none) and
/// how long that took, and the partitions whose features are still replaying after the start.
/// </summary>
public sealed record CheckpointTelemetry(long Saved, long Failed, DateTime? LastSavedAt, long LastBytes, double LastCaptureMs,
    long RestoredSeq, double RestoreMs, long PartitionsReplaying)
{
    public static readonly CheckpointTelemetry None = new(0, 0, null, 0, 0, -1, 0, 0);

    /// <summary>Seconds from the last saved checkpoint to <paramref name="now"/>; null before the first.</summary>
    public double? AgeSeconds(DateTime now) => LastSavedAt is { } saved ? Math.Max(0, (now - saved).TotalSeconds) : null;
}

/// <summary>Percentiles of one histogram, in milliseconds, and the share at or under the target (0..1).</summary>
public sealed record LatencyStats(long Count, double P50, double P90, double P99, double P999, double Max, double WithinTarget)
{
    public static readonly LatencyStats Empty = new(0, 0, 0, 0, 0, 0, 1);
}

/// <summary>Counters summed over every thread of the pipeline, since start.</summary>
public sealed class PipelineTotals
{
    public long Consumed { get; set; }
    public long Decided { get; set; }
    public long Approve { get; set; }
    public long Review { get; set; }
    public long Decline { get; set; }
    public long DeadLettered { get; set; }

    /// <summary>Folded into the features without a decision: other instances' partitions, replays after a restore.</summary>
    public long Followed { get; set; }
    public long Duplicates { get; set; }
    public long ModelUnavailable { get; set; }
    public long Produced { get; set; }
    public long Persisted { get; set; }
    public long Pauses { get; set; }
    public long PartitionsTakenAway { get; set; }
    public long DeliveryRetries { get; set; }
}

/// <summary>
/// What the stored outcomes say, cumulative: how often each reason was given, the latest declines (oldest first)
/// and dead letters per reason code.
/// </summary>
public sealed record OutcomeSummary(
    IReadOnlyDictionary<string, long> ReasonCounts,
    IReadOnlyList<DeclinedTransaction> RecentDeclines,
    IReadOnlyDictionary<string, long> DeadLetterReasons)
{
    public static readonly OutcomeSummary Empty = new(new Dictionary<string, long>(), [], new Dictionary<string, long>());
}

/// <summary>
/// A declined transaction as stored. <see cref="Card"/> is the card id as decided on: whoever shows it masks it
/// (the dashboard does).
/// </summary>
public sealed record DeclinedTransaction
{
    public required string Id { get; init; }

    public required string Card { get; init; }

    public decimal Amount { get; init; }

    public string Currency { get; init; } = "";

    /// <summary>Null when no model scored the transaction.</summary>
    public double? Score { get; init; }

    public IReadOnlyList<string> Reasons { get; init; } = [];

    /// <summary>UTC.</summary>
    public DateTime DecidedAt { get; init; }
}

/// <summary>The scorer as the pipeline sees it this second.</summary>
public sealed record ScorerTelemetry(string Device, string ModelVersion, bool ModelAvailable, IReadOnlyList<BatchSizeCount> BatchSizes);

/// <summary>Batch size → how many batches of that size were scored (cumulative).</summary>
public sealed record BatchSizeCount(int Size, long Count);

/// <summary>The rules as the pipeline sees them this second: version, recent reload failures (newest first), hits per rule.</summary>
public sealed record RulesTelemetry(string RulesetVersion, IReadOnlyList<RulesReloadError> ReloadErrors, IReadOnlyList<Stages.RuleHitTotal> HitTotals);

public sealed record RulesReloadError(DateTimeOffset Time, string Message);
