namespace FraudStream.Ingest.Simulation;

/// <summary>Knobs of the simulated world. The same options and seed always give the same stream.</summary>
public sealed record SimulatorOptions
{
    public int Seed { get; init; } = 7;

    public int Cards { get; init; } = 5_000;

    public int Merchants { get; init; } = 600;

    /// <summary>Event time of the first transaction (UTC).</summary>
    public DateTime StartTime { get; init; } = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Average transactions per card per day of event time (sets how fast event time runs).</summary>
    public double TransactionsPerCardPerDay { get; init; } = 3.0;

    /// <summary>Chance per normal transaction that a fraud scenario starts (sets the fraud rate, ~1.5% by default).</summary>
    public double ScenarioRate { get; init; } = 0.0012;

    /// <summary>Share of merchants whose card data leaks (compromised-merchant scenario).</summary>
    public double CompromisedMerchantShare { get; init; } = 0.01;

    /// <summary>Share of legitimate transactions that ever get a (legitimate) label.</summary>
    public double LegitLabelShare { get; init; } = 0.3;

    /// <summary>Labels that say the opposite of the truth (chargeback errors, friendly fraud).</summary>
    public double LabelNoise { get; init; } = 0.01;

    /// <summary>Emit labels whose report time lies after the last transaction at the end of the stream.</summary>
    public bool FlushPendingLabels { get; init; }
}
