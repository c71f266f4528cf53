using FraudStream.Core.Contracts;

namespace FraudStream.Training.Data;

/// <summary>
/// One event of history in time order: a transaction (with its truth when the source knows it, and
/// the label the bank will receive later), or a label on its own, reaching the bank at its reported time.
/// </summary>
/// <param name="Transaction">Set for a transaction.</param>
/// <param name="IsFraud">The truth for the transaction, when <paramref name="TruthKnown"/>.</param>
/// <param name="TruthKnown">False when only a later label line will tell (JSON lines files).</param>
/// <param name="Label">With a transaction: its future label (queued until reported). Alone: a label line.</param>
public readonly record struct HistoryEvent(Transaction? Transaction, bool IsFraud, bool TruthKnown, Label? Label)
{
    public static HistoryEvent ForTransaction(Transaction transaction, bool isFraud, Label? label = null) =>
        new(transaction, isFraud, true, label);

    public static HistoryEvent ForLabel(Label label) => new(null, false, false, label);
}
