namespace FraudStream.Ingest.Simulation;

/// <summary>
/// Knobs of <see cref="TransactionSimulator"/>. The defaults give ~1.5 % fraud over 5,000 cards
/// spending about three times a day each, i.e. about 15,000 transactions per day of event time.
/// </summary>
public sealed record SimulatorOptions
{
    /// <summary>Same seed and options, same stream, byte for byte.</summary>
    public long Seed { get; init; } = 1;

    public int Cards { get; init; } = 5000;

    public int Merchants { get; init; } = 500;

    /// <summary>Event time of the start of the stream, UTC.</summary>
    public DateTime StartTime { get; init; } = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Average legitimate transactions per card per day; sets the pace of event time.</summary>
    public double TransactionsPerCardPerDay { get; init; } = 3.0;

    /// <summary>Target share of fraudulent transactions among all transactions.</summary>
    public double FraudRate { get; init; } = 0.015;

    /// <summary>Relative share of fraudulent transactions from card testing bursts.</summary>
    public double CardTestingShare { get; init; } = 0.30;

    /// <summary>Relative share of fraudulent transactions from account takeovers.</summary>
    public double AccountTakeoverShare { get; init; } = 0.20;

    /// <summary>Relative share of fraudulent transactions from stolen-card sprees.</summary>
    public double StolenCardSpreeShare { get; init; } = 0.30;

    /// <summary>Relative share of fraudulent transactions from cards leaked by compromised merchants.</summary>
    public double CompromisedMerchantShare { get; init; } = 0.20;

    /// <summary>How many merchants leak the cards that pay there (fewer when the world has fewer busy in-store merchants).</summary>
    public int CompromisedMerchants { get; init; } = 3;

    /// <summary>Probability that a label says the opposite of the truth (analyst error, friendly fraud).</summary>
    public double LabelNoise { get; init; } = 0.01;

    /// <summary>Share of legitimate transactions that get an explicit <c>fraud=false</c> label.</summary>
    public double LegitLabelRate { get; init; } = 0.30;

    /// <summary>Probability, per legitimate transaction, that the cardholder sets off on a trip of a few days.</summary>
    public double TravelRate { get; init; } = 0.002;

    /// <summary>Probability, per legitimate online transaction, that the cardholder switches to a new device (a new phone).</summary>
    public double DeviceChangeRate { get; init; } = 0.005;

    /// <summary>Median days from a fraudulent transaction to its chargeback label (log-normal, one sigma).</summary>
    public double FraudLabelDelayMedianDays { get; init; } = 3.0;

    /// <summary>
    /// <see cref="SimulatorWorld.Standard"/>: these knobs as set. <see cref="SimulatorWorld.Hard"/>: the knobs of the
    /// world are drawn from the seed (<see cref="ForWorld"/>), a share of every fraud scenario hides in the victim's
    /// habits and some legitimate spending looks like fraud.
    /// </summary>
    public SimulatorWorld World { get; init; } = SimulatorWorld.Standard;

    /// <summary>Hard world: share of fraud episodes that imitate the victim (home city, usual amounts and categories, slow pace).</summary>
    public double StealthShare { get; init; }

    /// <summary>Hard world: share of legitimate transactions that are outliers (a big online purchase at a new merchant, often from a new device).</summary>
    public double LegitOutlierRate { get; init; }

    /// <summary>
    /// When the requested transactions are out, emit the labels still pending (their reported time is
    /// past the last transaction) in time order; otherwise drop them.
    /// </summary>
    public bool EmitPendingLabelsAtEnd { get; init; } = true;

    /// <summary>
    /// The options a world runs with. A hard world draws its knobs from the seed (its own random stream, so the cards
    /// and merchants of a seed are those of the standard world): fraud rate 0.4–2 %, scenario mix, leaking merchants,
    /// pace, travel and device changes, label delay, stealth and legitimate outliers. Seeds differ as banks do; a model
    /// that only learned one world's constants does not carry over. Label noise and the sizes stay as given.
    /// </summary>
    public SimulatorOptions ForWorld()
    {
        if (World != SimulatorWorld.Hard)
        {
            return this;
        }

        var random = new SimulationRandom(Seed, 9);
        return this with
        {
            TransactionsPerCardPerDay = random.Uniform(1.5, 5.0),
            FraudRate = random.Uniform(0.004, 0.02),
            CardTestingShare = random.Uniform(0.05, 1),
            AccountTakeoverShare = random.Uniform(0.05, 1),
            StolenCardSpreeShare = random.Uniform(0.05, 1),
            CompromisedMerchantShare = random.Uniform(0.05, 1),
            CompromisedMerchants = Math.Min(Merchants, random.NextInt(1, 8)),
            TravelRate = 0.002 * random.Uniform(0.5, 4),
            DeviceChangeRate = 0.005 * random.Uniform(0.5, 4),
            FraudLabelDelayMedianDays = random.Uniform(1, 10),
            StealthShare = random.Uniform(0.3, 0.7),
            LegitOutlierRate = random.Uniform(0.002, 0.01),
        };
    }

    /// <summary>One line naming the world's knobs (for reports and model.json).</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"world={World.ToString().ToLowerInvariant()} seed={Seed} fraud_rate={FraudRate:0.####} mix={CardTestingShare:0.##}/{AccountTakeoverShare:0.##}/{StolenCardSpreeShare:0.##}/{CompromisedMerchantShare:0.##} "
        + $"leaking_merchants={CompromisedMerchants} tx_per_card_day={TransactionsPerCardPerDay:0.##} label_delay_days={FraudLabelDelayMedianDays:0.#} stealth={StealthShare:0.##} legit_outliers={LegitOutlierRate:0.####} label_noise={LabelNoise:0.###}");

    /// <summary>Average legitimate transactions per second of event time over all cards.</summary>
    public double EventTimeTransactionsPerSecond => Cards * TransactionsPerCardPerDay / 86_400.0;

    /// <summary>Throws when a knob is out of its range.</summary>
    public void Validate()
    {
        Require(Cards is >= 10 and <= 10_000_000, nameof(Cards), "must be 10 to 10,000,000");
        Require(Merchants is >= 20 and <= 1_000_000, nameof(Merchants), "must be 20 to 1,000,000");
        Require(StartTime.Kind == DateTimeKind.Utc, nameof(StartTime), "must be UTC");
        Require(TransactionsPerCardPerDay is > 0 and <= 1000, nameof(TransactionsPerCardPerDay), "must be in (0, 1000]");
        Require(FraudRate is >= 0 and <= 0.5, nameof(FraudRate), "must be in [0, 0.5]");
        Require(CardTestingShare >= 0 && AccountTakeoverShare >= 0 && StolenCardSpreeShare >= 0 && CompromisedMerchantShare >= 0,
            nameof(CardTestingShare), "scenario shares must not be negative");
        Require(CompromisedMerchants >= 0 && CompromisedMerchants <= Merchants, nameof(CompromisedMerchants), "must be 0 to the number of merchants");
        Require(LabelNoise is >= 0 and <= 0.5, nameof(LabelNoise), "must be in [0, 0.5]");
        Require(LegitLabelRate is >= 0 and <= 1, nameof(LegitLabelRate), "must be in [0, 1]");
        Require(TravelRate is >= 0 and <= 0.1, nameof(TravelRate), "must be in [0, 0.1]");
        Require(DeviceChangeRate is >= 0 and <= 0.1, nameof(DeviceChangeRate), "must be in [0, 0.1]");
        Require(FraudLabelDelayMedianDays is >= 0.05 and <= 30, nameof(FraudLabelDelayMedianDays), "must be in [0.05, 30]");
        Require(StealthShare is >= 0 and <= 1, nameof(StealthShare), "must be in [0, 1]");
        Require(LegitOutlierRate is >= 0 and <= 0.1, nameof(LegitOutlierRate), "must be in [0, 0.1]");
    }

    private static void Require(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(name, message);
        }
    }
}

/// <summary>How a simulated world is made (<see cref="SimulatorOptions.World"/>).</summary>
public enum SimulatorWorld
{
    /// <summary>The knobs as set; the default and what data/model is trained on.</summary>
    Standard,

    /// <summary>Knobs drawn from the seed, fraud that imitates its victims, legitimate outliers.</summary>
    Hard,
}
