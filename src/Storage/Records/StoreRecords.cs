using FraudStream.Core.Telemetry;

namespace FraudStream.Storage.Records;

/// <summary>One decided transaction as stored. Reused by the pipeline: one instance per in-flight slot.</summary>
public sealed class DecisionRecord
{
    public string Id { get; set; } = "";
    public DateTime EventTs { get; set; }
    public string Card { get; set; } = "";
    public string Merchant { get; set; } = "";
    public string Category { get; set; } = "";
    public decimal Amount { get; set; }
    public string Currency { get; set; } = "";
    public string Country { get; set; } = "";
    public double? Lat { get; set; }
    public double? Lon { get; set; }
    public string? Device { get; set; }
    public string? Channel { get; set; }
    public string Decision { get; set; } = "";
    public double? Score { get; set; }

    /// <summary>Reasons joined with '|' (rule names and feature names never contain it).</summary>
    public string Reasons { get; set; } = "";
    public string ModelVersion { get; set; } = "";
    public string RulesetVersion { get; set; } = "";
    public DateTime DecidedAt { get; set; }
    public long LatencyUs { get; set; }
    public int SourcePartition { get; set; }
    public long SourceOffset { get; set; }

    /// <summary>The challenger's score of the same features, when one scored it in shadow (docs/SCORING.md).</summary>
    public double? ChallengerScore { get; set; }

    /// <summary>What the challenger would have decided: the same rules with its score and thresholds. Never emitted.</summary>
    public string? ChallengerDecision { get; set; }
    public string? ChallengerVersion { get; set; }
}

public sealed class DeadLetterRecord
{
    public string SourceTopic { get; set; } = "";
    public int SourcePartition { get; set; }
    public long SourceOffset { get; set; }
    public string Reason { get; set; } = "";
    public string Detail { get; set; } = "";
    public byte[] Payload { get; set; } = [];
    public DateTime ReceivedAt { get; set; }
}

public sealed class LabelRecord
{
    public string Id { get; set; } = "";
    public bool Fraud { get; set; }
    public DateTime ReportedAt { get; set; }

    /// <summary>Where the label came from: <c>stream</c> (the labels topic) or <c>analyst</c>.</summary>
    public string Source { get; set; } = "stream";
}

/// <summary>End-to-end latency of one wall-clock second, for the dashboard's history and for audits.</summary>
public sealed class LatencySecondRecord
{
    public DateTime Second { get; set; }
    public long Count { get; set; }
    public long P50Us { get; set; }
    public long P90Us { get; set; }
    public long P99Us { get; set; }
    public long P999Us { get; set; }
    public long MaxUs { get; set; }
    public double WithinTarget { get; set; }
}

public sealed class ReviewRecord
{
    public string Id { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public string Status { get; set; } = "";
    public string Card { get; set; } = "";
    public string Merchant { get; set; } = "";
    public decimal Amount { get; set; }
    public string Currency { get; set; } = "";
    public double? Score { get; set; }
    public string Reasons { get; set; } = "";
    public DateTime EventTs { get; set; }
}

public enum ReviewMarkOutcome
{
    Marked,
    NotFound,
    AlreadyMarked,
}

/// <summary>A stored decision joined with its label, if one arrived: the input of quality reports and backtests.</summary>
public sealed class LabeledDecision
{
    public string Id { get; set; } = "";
    public string Decision { get; set; } = "";
    public double? Score { get; set; }
    public bool? Fraud { get; set; }
}

/// <summary>
/// One stored feature-state checkpoint: the state bytes and the offsets they reflect (partition → next offset, as
/// <c>p:offset</c> pairs joined with commas), for the transactions and the labels topics.
/// </summary>
public sealed class FeatureCheckpointRecord
{
    public long Seq { get; set; }
    public DateTime CreatedAt { get; set; }
    public string Writer { get; set; } = "";
    public string SchemaVersion { get; set; } = "";
    public string TransactionsOffsets { get; set; } = "";
    public string LabelsOffsets { get; set; } = "";
    public long SizeBytes { get; set; }
    public byte[] State { get; set; } = [];
}

/// <summary>A decided transaction's id and where it was read from (recognises redeliveries after a restart).</summary>
public sealed class DecidedPosition
{
    public string Id { get; set; } = "";
    public int SourcePartition { get; set; }
    public long SourceOffset { get; set; }
}

/// <summary>The comparison sums of one (champion, challenger) pair of versions, as the store sums them.</summary>
public sealed class ModelPairCounts
{
    public string ChampionVersion { get; set; } = "";
    public string ChallengerVersion { get; set; } = "";
    public long Compared { get; set; }
    public long Agreed { get; set; }
    public long Scored { get; set; }
    public double SumChampion { get; set; }
    public double SumChallenger { get; set; }
    public double SumChampionSquared { get; set; }
    public double SumChallengerSquared { get; set; }
    public double SumProduct { get; set; }
    public long ChampionReview { get; set; }
    public long ChampionDecline { get; set; }
    public long ChallengerReview { get; set; }
    public long ChallengerDecline { get; set; }
    public long Labelled { get; set; }
    public long LabelledFraud { get; set; }
    public long ChampionFlaggedLabelled { get; set; }
    public long ChampionFlaggedFraud { get; set; }
    public long ChallengerFlaggedLabelled { get; set; }
    public long ChallengerFlaggedFraud { get; set; }

    public ModelComparisonCounts ToCounts() => new()
    {
        Compared = Compared, Agreed = Agreed, Scored = Scored, SumChampion = SumChampion, SumChallenger = SumChallenger,
        SumChampionSquared = SumChampionSquared, SumChallengerSquared = SumChallengerSquared, SumProduct = SumProduct,
        ChampionReview = ChampionReview, ChampionDecline = ChampionDecline, ChallengerReview = ChallengerReview, ChallengerDecline = ChallengerDecline,
        Labelled = Labelled, LabelledFraud = LabelledFraud, ChampionFlaggedLabelled = ChampionFlaggedLabelled, ChampionFlaggedFraud = ChampionFlaggedFraud,
        ChallengerFlaggedLabelled = ChallengerFlaggedLabelled, ChallengerFlaggedFraud = ChallengerFlaggedFraud,
    };
}

/// <summary>A row of <c>model_promotions</c>: who asked when, and what became of it.</summary>
public sealed class ModelPromotionRecord
{
    public long Seq { get; set; }
    public DateTime RequestedAt { get; set; }
    public string RequestedBy { get; set; } = "";

    /// <summary><c>requested</c>, <c>claimed</c> (an instance is applying it), <c>applied</c> or <c>refused</c>.</summary>
    public string Status { get; set; } = "";
    public DateTime? AppliedAt { get; set; }
    public string? Instance { get; set; }
    public string? FromVersion { get; set; }
    public string? ToVersion { get; set; }
    public string? Detail { get; set; }
}

/// <summary>
/// A row of <c>model_packages</c>, the registry: a promoted version's package folder as one archive, its sha256 (hex,
/// lower case) and who stored it when. <see cref="Package"/> is empty where only the header was read.
/// </summary>
public sealed class ModelPackageRecord
{
    public string Version { get; set; } = "";
    public string Sha256 { get; set; } = "";
    public long SizeBytes { get; set; }
    public byte[] Package { get; set; } = [];
    public DateTime StoredAt { get; set; }
    public string StoredBy { get; set; } = "";
}
