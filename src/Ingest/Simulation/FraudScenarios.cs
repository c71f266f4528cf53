namespace FraudStream.Ingest.Simulation;

/// <summary>Names of the simulated fraud scenarios, as carried by <see cref="SimulatedEvent.Scenario"/>.</summary>
public static class FraudScenarios
{
    /// <summary>Bursts of tiny e-commerce amounts at several new merchants within minutes.</summary>
    public const string CardTesting = "card_testing";

    /// <summary>A few high e-commerce amounts from a new device far from home.</summary>
    public const string AccountTakeover = "account_takeover";

    /// <summary>Many in-store transactions in quick succession with rising amounts, far from home.</summary>
    public const string StolenCardSpree = "stolen_card_spree";

    /// <summary>Cards that paid at a leaking merchant, defrauded days later at other merchants.</summary>
    public const string CompromisedMerchant = "compromised_merchant";

    public static readonly IReadOnlyList<string> All = [CardTesting, AccountTakeover, StolenCardSpree, CompromisedMerchant];
}
