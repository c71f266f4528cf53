namespace FraudStream.Features;

/// <summary>Tuning of the feature state. Defaults suit card traffic; tests shrink them.</summary>
public sealed class FeatureOptions
{
    /// <summary>A card with no transaction for this long (by event time) is forgotten.</summary>
    public TimeSpan CardIdleTtl { get; init; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Most cards one partition's engine holds (about 256 bytes each): past it, the least recently seen of a sample is
    /// evicted (as if expired) and counted, so memory has a bound whatever the card population.
    /// </summary>
    public int MaxCardsPerPartition { get; init; } = 2_000_000;

    /// <summary>
    /// Most merchants, most devices and most categories the graph holds: past it the sweep drops the least recently active (down to
    /// 90 % of the cap) and counts them, so memory has a bound whatever ids a producer sends.
    /// </summary>
    public int MaxGraphNodes { get; init; } = 4_000_000;

    /// <summary>Merchants, devices and categories with no activity for this long are forgotten.</summary>
    public TimeSpan GraphIdleTtl { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Time constant of the merchant fraud-rate counters (exponential decay).</summary>
    public TimeSpan FraudRateDecay { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Time constant of the two-hop counters (customers, customers later reported as fraud).</summary>
    public TimeSpan CompromiseDecay { get; init; } = TimeSpan.FromDays(30);

    /// <summary>How far back from a fraud the card's earlier merchants are blamed.</summary>
    public TimeSpan CompromiseLookback { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Smoothing prior: rates start at <see cref="PriorRate"/> with this many pseudo-observations.</summary>
    public double PriorWeight { get; init; } = 20;

    public double PriorRate { get; init; } = 0.01;

    /// <summary>Most events a card keeps for its 24 h window; past it the oldest leave early.</summary>
    public int MaxWindowEvents { get; init; } = 4096;

    /// <summary>Recent transactions whose id a label can still be matched to.</summary>
    public int LabelIndexCapacity { get; init; } = 1 << 20;

    /// <summary>Cards the engine checks for idleness per processed transaction (amortised expiry).</summary>
    public int ExpiryChecksPerTransaction { get; init; } = 1;

    /// <summary>The graph sweeps idle nodes once per this many updates (a power of two).</summary>
    public int GraphSweepInterval { get; init; } = 1 << 16;
}
