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
