namespace FraudStream.Features.Engine;

/// <summary>
/// Everything one card remembers. Owned by one <see cref="FeatureEngine"/> (one thread); only the
/// merchant visits and <see cref="ReportedTicks"/> are also read by label application, under
/// <see cref="Gate"/>.
/// </summary>
internal sealed class CardState
{
    public CardState(string key, FeatureOptions options)
    {
        Key = key;
        Windows = new SlidingWindows(8, options.MaxWindowEvents);
        Visits = new MerchantVisit[options.MerchantsPerCard];
        Devices = new ulong[options.DevicesPerCard];
    }

    public string Key { get; }

    /// <summary>Position in the engine's expiry ring.</summary>
    public int SweepIndex { get; set; }

    public Lock Gate { get; } = new();

    public long LastTicks { get; set; } = long.MinValue;

    public long HistoryCount { get; set; }

    public SlidingWindows Windows { get; }

    // Welford running mean and variance of the amount.
    public double AmountMean { get; set; }

    public double AmountM2 { get; set; }

    public int[] HourHistogram { get; } = new int[24];

    public MerchantVisit[] Visits { get; }

    public int VisitCount { get; set; }

    public ulong[] Devices { get; }

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

    /// <summary>Event time of the card's last fraud already propagated to its merchants; MinValue if none.</summary>
    public long ReportedTicks { get; set; } = long.MinValue;

    public long ApproximateBytes =>
        (Key.Length * 2) + 24
        + 200 // this object's fields and header
        + Windows.ApproximateBytes
        + 24 + (24 * 4) // hour histogram
        + 24 + (Visits.Length * 32)
        + 24 + (Devices.Length * 8)
        + 24; // lock
}
