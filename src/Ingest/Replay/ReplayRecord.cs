using System.Diagnostics.CodeAnalysis;
using FraudStream.Core.Contracts;

namespace FraudStream.Ingest.Replay;

public enum ReplayRecordKind : byte
{
    /// <summary>A transaction, possibly with its label.</summary>
    Transaction,

    /// <summary>A label on its own (a <c>{"label":{...}}</c> line of a JSON lines file).</summary>
    Label,

    /// <summary>A row that could not be read; the replay goes on.</summary>
    Bad,
}

/// <summary>A row of a replay file that could not be turned into a valid transaction or label.</summary>
/// <param name="LineNumber">1-based physical line number in the (decompressed) file.</param>
public readonly record struct BadRow(long LineNumber, string Reason)
{
    public override string ToString() => $"line {LineNumber}: {Reason}";
}

/// <summary>One record read from a replay file. A default instance is none of transaction, label or bad row.</summary>
public readonly struct ReplayRecord
{
    private ReplayRecord(ReplayRecordKind kind, long lineNumber, Transaction? transaction, Label? label, string? badReason)
    {
        Kind = kind;
        LineNumber = lineNumber;
        Transaction = transaction;
        Label = label;
        BadReason = badReason;
    }

    public ReplayRecordKind Kind { get; }

    /// <summary>1-based physical line number the record came from.</summary>
    public long LineNumber { get; }

    /// <summary>A fresh instance owned by the receiver; null unless <see cref="Kind"/> is Transaction.</summary>
    public Transaction? Transaction { get; }

    /// <summary>
    /// With a transaction: its label, whose <see cref="Contracts.Label.ReportedAt"/> is later than the
    /// transaction (publish it when that time is reached). Alone: a label line.
    /// </summary>
    public Label? Label { get; }

    public string? BadReason { get; }

    [MemberNotNullWhen(true, nameof(Transaction))]
    public bool IsTransaction => Kind == ReplayRecordKind.Transaction && Transaction is not null;

    [MemberNotNullWhen(true, nameof(Label))]
    public bool IsLabelOnly => Kind == ReplayRecordKind.Label && Label is not null;

    [MemberNotNullWhen(true, nameof(BadReason))]
    public bool IsBad => Kind == ReplayRecordKind.Bad && BadReason is not null;

    public BadRow BadRow => new(LineNumber, BadReason ?? "");

    public static ReplayRecord ForTransaction(long lineNumber, Transaction transaction, Label? label)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return new(ReplayRecordKind.Transaction, lineNumber, transaction, label, null);
    }

    public static ReplayRecord ForLabel(long lineNumber, Label label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return new(ReplayRecordKind.Label, lineNumber, null, label, null);
    }

    public static ReplayRecord ForBadRow(long lineNumber, string reason) => new(ReplayRecordKind.Bad, lineNumber, null, null, reason);

    public override string ToString() => Kind switch
    {
        ReplayRecordKind.Transaction => $"line {LineNumber}: transaction {Transaction!.Id}",
        ReplayRecordKind.Label => $"line {LineNumber}: label {Label!.Id}",
        _ => BadRow.ToString(),
    };
}
