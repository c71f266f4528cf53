using System.Runtime.CompilerServices;

namespace FraudStream.Features.Engine;

[InlineArray(24)]
internal struct HourCounts
{
    private int _element;
}

[InlineArray(CardState.MerchantSlots)]
internal struct MerchantVisits
{
    private MerchantVisit _element;
}

[InlineArray(CardState.DeviceSlots)]
internal struct DeviceHashes
{
    private ulong _element;
}

/// <summary>
/// Everything one card remembers. Owned by one <see cref="FeatureEngine"/> (one thread); only the
/// merchant visits are also read by label application (another thread), through the seqlock
/// <see cref="VisitsVersion"/>, and <see cref="ReportedTicks"/> belongs to label application alone,
/// under a lock on this object that the engine never takes. Hot data sits inline (few objects per
/// card, few cache misses).
/// </summary>
internal sealed class CardState
{
    public const int DeviceSlots = 8;

    /// <summary>Distinct merchants remembered per card (least recently seen is replaced).</summary>
    public const int MerchantSlots = 16;

    // About the size of this object's fields (the visits, histogram and devices dominate).
    private const int HotBytes = 896;

    // Fields, not properties: the inline structs are used in place, by reference.
    public SlidingWindows Windows;
    public MerchantVisits Visits;
    public HourCounts HourHistogram;
    public DeviceHashes Devices;

    public CardState(string key, ulong hash, FeatureOptions options)
    {
        Key = key;
        Hash = hash;
        Windows = new SlidingWindows(8, options.MaxWindowEvents);
    }

    public string Key { get; }

    public ulong Hash { get; }

    // Seqlock over the visits: odd while the engine writes them. Only the owning engine writes, so it
    // never waits or takes an atomic; a reader on another thread retries when the version moved.
    private int _visitsVersion;

    /// <summary>Even when no visits write is in progress; changes with every write.</summary>
    public int VisitsVersion => Volatile.Read(ref _visitsVersion);

    /// <summary>Position in the engine's expiry ring.</summary>
    public int SweepIndex { get; set; }

    public long LastTicks { get; set; } = long.MinValue;

    public long HistoryCount { get; set; }

    // Welford running mean and variance of the amount.
    public double AmountMean { get; set; }

    public double AmountM2 { get; set; }

    // A field: written with Volatile.Write inside a visits write (see VisitsVersion).
    public int VisitCount;

    public int DeviceCount { get; set; }

    public int DeviceCursor { get; set; }

    public ulong LastCountry { get; set; }

    // Home: the running mean of the card's located transactions.
    public double HomeLatitude { get; set; }

    public double HomeLongitude { get; set; }

    public long LocatedCount { get; set; }

    public double PreviousLatitude { get; set; } = double.NaN;

    public double PreviousLongitude { get; set; } = double.NaN;

    public long PreviousLocatedTicks { get; set; }

    /// <summary>Cosine of <see cref="PreviousLatitude"/> (<see cref="Common.Geo.CosLatitude"/>), computed when it was the current one.</summary>
    public double PreviousCosLatitude { get; set; }

    /// <summary>Event time of the card's last fraud already propagated to its merchants; MinValue if none.</summary>
    public long ReportedTicks { get; set; } = long.MinValue;

    /// <summary>Opens a visits write (owner only). Writes inside use Volatile.Write, so none moves before this.</summary>
    public void BeginVisitsWrite() => Volatile.Write(ref _visitsVersion, _visitsVersion + 1);

    /// <summary>Closes a visits write (release: every write inside is visible first).</summary>
    public void EndVisitsWrite() => Volatile.Write(ref _visitsVersion, _visitsVersion + 1);

    /// <summary>Starts loading the lines a transaction reads: this object's fields and the window ring's ends.</summary>
    public void Prefetch()
    {
        PrefetchFields();
        Windows.Prefetch();
    }

    /// <summary>Starts loading this object's fields only: needs nothing of the card to be loaded already.</summary>
    public void PrefetchFields() => Common.Prefetch.Object(this, HotBytes);

    /// <summary>Starts loading the published shares of the merchants visited (read for card.exposure).</summary>
    public void PrefetchVisitedMerchants()
    {
        for (var i = 0; i < VisitCount; i++)
        {
            Visits[i].Node?.PrefetchShares();
        }
    }

    public long ApproximateBytes =>
        (Key.Length * 2) + 24
        + 200 // this object's fields and header
        + Windows.ApproximateBytes
        + (24 * 4) + (DeviceSlots * 8) // inline hour histogram and devices
        + (MerchantSlots * 32);
}
