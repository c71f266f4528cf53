using System.Diagnostics.CodeAnalysis;
using FraudStream.Core.Contracts;

namespace FraudStream.Ingest.Simulation;

/// <summary>
/// One event of the simulated stream: a transaction with its ground truth, or a label reaching the
/// bank. Exactly one of <see cref="Transaction"/> and <see cref="Label"/> is set.
/// </summary>
/// <param name="Time">Event time: the transaction's timestamp or the label's reported time.</param>
/// <param name="Transaction">A fresh instance owned by the receiver.</param>
/// <param name="IsFraud">The truth, before label noise.</param>
/// <param name="Scenario">One of <see cref="FraudScenarios"/> for frauds, null for legitimate transactions.</param>
/// <param name="Label">The label as reported, label noise applied.</param>
public readonly record struct SimulatedEvent(DateTime Time, Transaction? Transaction, bool IsFraud, string? Scenario, Label? Label)
{
    [MemberNotNullWhen(true, nameof(Transaction))]
    public bool IsTransaction => Transaction is not null;

    [MemberNotNullWhen(true, nameof(Label))]
    public bool IsLabel => Label is not null;
}
