using FraudStream.Core.Contracts;

namespace FraudStream.Ingest.Simulation;

/// <summary>
/// One event of the simulated stream, in event-time order: a transaction with its true fraud flag and
/// scenario (null for legitimate traffic), or a label reported at <see cref="Label.ReportedAt"/>.
/// </summary>
public sealed record SimulatedEvent(Transaction? Transaction, bool IsFraud, string? Scenario, Label? Label)
{
    public DateTime Time => Transaction?.Timestamp ?? Label!.ReportedAt;
}

public static class FraudScenarios
{
    public const string CardTesting = "card_testing";
    public const string AccountTakeover = "account_takeover";
    public const string StolenCardSpree = "stolen_card_spree";
    public const string CompromisedMerchant = "compromised_merchant";
}
