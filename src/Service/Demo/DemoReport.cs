using System.Text.Json;
using System.Text.Json.Serialization;

namespace FraudStream.Service.Demo;

/// <summary>The demo's final report; the same object is printed and written as JSON.</summary>
public sealed class DemoReport
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public long Produced { get; set; }
    public long Decided { get; set; }

    /// <summary>Transactions sent (and decided) before the timed stream to warm the service; not in the latencies.</summary>
    public long WarmupTransactions { get; set; }

    public long WarmupDecided { get; set; }
    public long DeadLettered { get; set; }
    public long DuplicatesSuppressed { get; set; }
    public long Missing { get; set; }
    public long DecidedMoreThanOnce { get; set; }
    public long StoredDecisions { get; set; }
    /// <summary>Decided transactions per second, from the timed stream's start to the last decision read back.</summary>
    public double ThroughputTps { get; set; }

    /// <summary>Rate at which the simulator actually published (it paces itself to the requested rate).</summary>
    public double PublishedTps { get; set; }
    public double RateRequested { get; set; }
    public double DurationS { get; set; }
    public double TargetMs { get; set; }

    /// <summary>
    /// The service's end-to-end measurement; null with several instances, where each measures its own (see
    /// <see cref="Instances"/>) and percentiles do not add up.
    /// </summary>
    public double? WithinTarget { get; set; }

    public Percentiles? LatencyMs { get; set; }

    /// <summary>End to end after the first seconds with traffic (JIT, model warm-up, first connections).</summary>
    public Percentiles? LatencyMsSteady { get; set; }

    public double? WithinTargetSteady { get; set; }

    public int WarmupSecondsExcluded { get; set; }
    public Dictionary<string, StagePercentiles> StagesMs { get; set; } = [];
    public DecisionCounts Decisions { get; set; } = new();
    public QualityReport Quality { get; set; } = new();
    public ScorerInfo Scorer { get; set; } = new();
    public RulesInfo Rules { get; set; } = new();
    public string Folder { get; set; } = "";
    public bool ExactlyOnce { get; set; }

    /// <summary>The timed stream minute by minute (the last one may be partial).</summary>
    public List<Interval> Minutes { get; set; } = [];

    /// <summary>The Kafka path alone at the same rate, brokers and partitions (`bench floor`), measured after the run; null when skipped.</summary>
    public FloorInfo? Floor { get; set; }

    /// <summary>The service's own cost: steady-state end to end minus the floor, per percentile; null without a floor.</summary>
    public CostOverFloor? ServiceCostMs { get; set; }

    /// <summary>With <c>--instances</c> above 1: the `serve` processes, the rebalance and each one's state; null otherwise.</summary>
    public InstancesReport? Instances { get; set; }

    /// <summary>With <c>--challenger</c>: the challenger in shadow and its comparison with the champion (with --instances above 1, summed from the shared store); null otherwise.</summary>
    public ChallengerInfo? Challenger { get; set; }

    public sealed class ChallengerInfo
    {
        public string Version { get; set; } = "";
        public string State { get; set; } = "";
        public long Scored { get; set; }
        public Dictionary<string, long> Skipped { get; set; } = [];
        public double MeanComputeMicros { get; set; }
        public double MeanChampionComputeMicros { get; set; }
        public Core.Telemetry.ModelComparison? Comparison { get; set; }
    }

    public sealed class InstancesReport
    {
        public int Count { get; set; }

        /// <summary>The instance started after the others, mid-stream, to show a live rebalance.</summary>
        public string LateJoiner { get; set; } = "";

        /// <summary>Seconds from the first instance's start (the clock of every time in this section) to the timed stream's.</summary>
        public double TimedStreamStartedAtS { get; set; }

        public List<InstanceReport> Members { get; set; } = [];
    }

    public sealed class InstanceReport
    {
        public string Name { get; set; } = "";
        public int ProcessId { get; set; }
        public int DashboardPort { get; set; }
        public string Log { get; set; } = "";
        public double StartedAtS { get; set; }

        /// <summary>Each "Deciding partitions" the instance logged: when, and which partitions.</summary>
        public List<Assignment> Assignments { get; set; } = [];

        /// <summary>As its dashboard last showed them, before the demo stopped the instances.</summary>
        public List<int> PartitionsDecided { get; set; } = [];

        public long Decided { get; set; }
        public long DeadLettered { get; set; }
        public long DuplicatesSuppressed { get; set; }
        public long CheckpointsSaved { get; set; }
        public long CheckpointsFailed { get; set; }
        public double? CheckpointAgeS { get; set; }
        public long CheckpointBytes { get; set; }
        public double CheckpointCaptureMs { get; set; }

        /// <summary>The checkpoint it restored at its start (-1: none, it rebuilt its features from the log) and how long that took.</summary>
        public long RestoredSeq { get; set; } = -1;

        public double RestoreMs { get; set; }

        /// <summary>Its own end-to-end measurement since it started (the warm-up included: it cannot be restarted from outside).</summary>
        public Percentiles LatencyMs { get; set; } = new();

        public int? ExitCode { get; set; }
    }

    public sealed class Assignment
    {
        public double AtS { get; set; }
        public List<int> Partitions { get; set; } = [];
    }

    public sealed class Interval
    {
        /// <summary>Seconds from the timed stream's start to the end of the interval.</summary>
        public double EndS { get; set; }

        public int Seconds { get; set; }
        public long Count { get; set; }
        public double P50Ms { get; set; }
        public double P99Ms { get; set; }
        public double P999Ms { get; set; }
        public double MaxMs { get; set; }
        public double WithinTarget { get; set; }
        public double ResidentMb { get; set; }
        public double ManagedHeapMb { get; set; }
        public int Gen0Collections { get; set; }
        public int Gen1Collections { get; set; }
        public int Gen2Collections { get; set; }

        /// <summary>Time the GC held the process's threads during the interval.</summary>
        public double GcPauseMs { get; set; }

        public double AllocatedMb { get; set; }
    }

    public sealed class FloorInfo
    {
        public double Seconds { get; set; }
        public double RateAchieved { get; set; }
        public long Recorded { get; set; }
        public double P50 { get; set; }
        public double P99 { get; set; }
        public double P999 { get; set; }
    }

    public sealed class CostOverFloor
    {
        public double P50 { get; set; }
        public double P99 { get; set; }
        public double P999 { get; set; }
    }

    public sealed class Percentiles
    {
        public double P50 { get; set; }
        public double P90 { get; set; }
        public double P99 { get; set; }
        public double P999 { get; set; }
        public double Max { get; set; }
    }

    public sealed class StagePercentiles
    {
        public double P50 { get; set; }
        public double P99 { get; set; }
    }

    public sealed class DecisionCounts
    {
        public long Approve { get; set; }
        public long Review { get; set; }
        public long Decline { get; set; }
    }

    public sealed class QualityReport
    {
        /// <summary>Of the transactions flagged (review or decline), the share that were fraud.</summary>
        public double Precision { get; set; }

        /// <summary>Of the fraudulent transactions, the share flagged.</summary>
        public double Recall { get; set; }

        /// <summary>Of the legitimate transactions, the share flagged.</summary>
        public double Fpr { get; set; }

        public long Frauds { get; set; }
        public long Flagged { get; set; }
    }

    public sealed class ScorerInfo
    {
        public string Device { get; set; } = "";
        public string ModelVersion { get; set; } = "";
    }

    public sealed class RulesInfo
    {
        public string RulesetVersion { get; set; } = "";
    }
}
