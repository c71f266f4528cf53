using System.Runtime.CompilerServices;
using FraudStream.Features.Checkpoints;

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

    // About the size of this object's fields (visits, the day ring, histogram and devices dominate).
    private const int HotBytes = 896 + CardDayBuckets.Bytes;

    // Fields, not properties: the inline structs are used in place, by reference.
    public SlidingWindows Windows;
    public MerchantVisits Visits;
    public HourCounts HourHistogram;
    public DeviceHashes Devices;
    public CardDayBuckets Days;

    public CardState(string key, ulong hash, FeatureOptions options)
    {
        Key = key;
        Hash = hash;
        Windows = new SlidingWindows(8, options.MaxWindowEvents);
    }

    // A card about to be filled from a checkpoint: no window ring yet (the checkpoint brings its own), and in no
    // engine's ring (SweepIndex -1) until an engine adds it.
    private CardState(ulong hash)
    {
        Key = string.Empty;
        Hash = hash;
        SweepIndex = -1;
    }

    public string Key { get; private set; }

    public ulong Hash { get; private set; }

    // Seqlock over the visits: odd while the engine writes them. Only the owning engine writes, so it
    // never waits or takes an atomic; a reader on another thread retries when the version moved.
    private int _visitsVersion;

    /// <summary>Even when no visits write is in progress; changes with every write.</summary>
    public int VisitsVersion => Volatile.Read(ref _visitsVersion);

    private int _sweepIndex;
    private long _expiredEpoch;

    /// <summary>Position in the engine's expiry ring; -1 once expired (only the label index may still hold the card).</summary>
    public int SweepIndex
    {
        get => _sweepIndex;
        set => _sweepIndex = value;
    }

    /// <summary>Whether an engine holds the card; one that is not is kept alive only by the label index.</summary>
    public bool IsInEngine => SweepIndex >= 0;

    /// <summary>
    /// Takes the card out of its engine at capture epoch <paramref name="epoch"/> (the number of the engine's latest
    /// <see cref="FeatureEngine"/> capture): a snapshot captured at that epoch, still being written, must name the card
    /// as held, as it was when captured. The epoch is stored before the index (release), so a reader that sees -1 sees it.
    /// </summary>
    public void MarkExpired(long epoch)
    {
        _expiredEpoch = epoch;
        Volatile.Write(ref _sweepIndex, -1);
    }

    /// <summary>Whether an engine held the card at the capture of epoch <paramref name="epoch"/> (any thread; see <see cref="MarkExpired"/>).</summary>
    public bool WasInEngineAt(long epoch) => Volatile.Read(ref _sweepIndex) >= 0 || Volatile.Read(ref _expiredEpoch) >= epoch;

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

    private long _fraudReportedTicks = long.MinValue;

    /// <summary>
    /// Event time of the card's latest transaction reported as fraud so far; MinValue if none. Written by label
    /// application under the card's lock, read by the engine without it (one aligned 64-bit word).
    /// </summary>
    public long FraudReportedTicks
    {
        get => Volatile.Read(ref _fraudReportedTicks);
        set => Volatile.Write(ref _fraudReportedTicks, value);
    }

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

    /// <summary>A private copy for a snapshot (<see cref="CopyStateFrom"/>): in no engine, never shared.</summary>
    public static CardState ForSnapshot() => new(0);

    /// <summary>
    /// Makes this snapshot copy equal to <paramref name="source"/> in everything <see cref="WriteCheckpoint"/> reads:
    /// the inline structs by value, the window ring's live events into a ring of this copy's own (reused when its size
    /// matches), the visited merchants as the same references. Only while nothing changes the source (the barrier).
    /// </summary>
    public void CopyStateFrom(CardState source)
    {
        Hash = source.Hash;
        Key = source.Key;
        Windows.CopyFrom(in source.Windows);
        Visits = source.Visits;
        HourHistogram = source.HourHistogram;
        Devices = source.Devices;
        Days = source.Days;
        LastTicks = source.LastTicks;
        HistoryCount = source.HistoryCount;
        AmountMean = source.AmountMean;
        AmountM2 = source.AmountM2;
        VisitCount = source.VisitCount;
        DeviceCount = source.DeviceCount;
        DeviceCursor = source.DeviceCursor;
        LastCountry = source.LastCountry;
        HomeLatitude = source.HomeLatitude;
        HomeLongitude = source.HomeLongitude;
        LocatedCount = source.LocatedCount;
        PreviousLatitude = source.PreviousLatitude;
        PreviousLongitude = source.PreviousLongitude;
        PreviousLocatedTicks = source.PreviousLocatedTicks;
        PreviousCosLatitude = source.PreviousCosLatitude;
        ReportedTicks = source.ReportedTicks;
        FraudReportedTicks = source.FraudReportedTicks;
    }

    /// <summary>A card to be filled by <see cref="ReadCheckpoint"/>: held by no engine until one adds it.</summary>
    public static CardState ForRestore(ulong hash) => new(hash);

    /// <summary>
    /// Everything a feature or a label reads of the card. Times are written as differences from the card's latest
    /// time (short varints); doubles as their bits. Only the slots in use are written: the engine reads no other.
    /// </summary>
    public void WriteCheckpoint(ref CheckpointWriter writer, ReferenceWriter references) => WriteCheckpoint(ref writer, references, this);

    /// <inheritdoc cref="WriteCheckpoint(ref CheckpointWriter, ReferenceWriter)"/>
    /// <param name="labelState">The card whose label state (<see cref="ReportedTicks"/>, <see cref="FraudReportedTicks"/>) to write: a snapshot's copy takes it from its live card.</param>
    public void WriteCheckpoint(ref CheckpointWriter writer, ReferenceWriter references, CardState labelState)
    {
        ArgumentNullException.ThrowIfNull(labelState);
        var last = LastTicks;
        writer.WriteUInt64(Hash);
        writer.WriteString(Key);
        writer.WriteInt64(last);
        writer.WriteVarInt(HistoryCount);
        writer.WriteDouble(AmountMean);
        writer.WriteDouble(AmountM2);
        writer.WriteUInt64(LastCountry);
        writer.WriteDouble(HomeLatitude);
        writer.WriteDouble(HomeLongitude);
        writer.WriteVarInt(LocatedCount);
        writer.WriteDouble(PreviousLatitude);
        writer.WriteDouble(PreviousLongitude);
        writer.WriteDouble(PreviousCosLatitude);
        writer.WriteVarInt(unchecked(last - PreviousLocatedTicks));
        writer.WriteInt64(labelState.ReportedTicks);
        writer.WriteInt64(labelState.FraudReportedTicks);
        for (var hour = 0; hour < 24; hour++)
        {
            writer.WriteCount(HourHistogram[hour]);
        }

        writer.WriteCount(DeviceCount);
        writer.WriteCount(DeviceCursor);
        for (var i = 0; i < DeviceCount; i++)
        {
            writer.WriteUInt64(Devices[i]);
        }

        writer.WriteCount(VisitCount);
        for (var i = 0; i < VisitCount; i++)
        {
            ref var visit = ref Visits[i];
            writer.WriteUInt64(visit.MerchantHash);
            writer.WriteVarInt(unchecked(last - visit.FirstTicks));
            writer.WriteVarInt(unchecked(last - visit.LastTicks));
            references.WriteMerchant(ref writer, visit.Node, visit.MerchantHash);
        }

        Windows.WriteCheckpoint(ref writer, last);
        Days.WriteCheckpoint(ref writer, DayBuckets.DayOf(last));
    }

    /// <summary>
    /// Fills the card (its <see cref="Hash"/> already read) from <see cref="WriteCheckpoint"/>'s bytes. The card may
    /// be one the label index already holds, which label application can read meanwhile: the visits are filled
    /// under their seqlock and <see cref="ReportedTicks"/> under the card's lock, as the engine and labels do.
    /// </summary>
    public void ReadCheckpoint(ref CheckpointReader reader, ReferenceReader references)
    {
        Key = reader.ReadString();
        var last = reader.ReadInt64();
        LastTicks = last;
        HistoryCount = reader.ReadVarInt();
        AmountMean = reader.ReadDouble();
        AmountM2 = reader.ReadDouble();
        LastCountry = reader.ReadUInt64();
        HomeLatitude = reader.ReadDouble();
        HomeLongitude = reader.ReadDouble();
        LocatedCount = reader.ReadVarInt();
        PreviousLatitude = reader.ReadDouble();
        PreviousLongitude = reader.ReadDouble();
        PreviousCosLatitude = reader.ReadDouble();
        PreviousLocatedTicks = unchecked(last - reader.ReadVarInt());
        var reportedTicks = reader.ReadInt64();
        var fraudReportedTicks = reader.ReadInt64();
        for (var hour = 0; hour < 24; hour++)
        {
            HourHistogram[hour] = reader.ReadCount();
        }

        DeviceCount = reader.ReadCount(DeviceSlots);
        DeviceCursor = reader.ReadCount(DeviceSlots - 1);
        for (var i = 0; i < DeviceCount; i++)
        {
            Devices[i] = reader.ReadUInt64();
        }

        // Read whole before the seqlock opens: a read that fails must not leave the version odd (readers would spin).
        var visitCount = reader.ReadCount(MerchantSlots);
        var visits = default(MerchantVisits);
        for (var i = 0; i < visitCount; i++)
        {
            ref var visit = ref visits[i];
            visit.MerchantHash = reader.ReadUInt64();
            visit.FirstTicks = unchecked(last - reader.ReadVarInt());
            visit.LastTicks = unchecked(last - reader.ReadVarInt());
            visit.Node = references.ReadMerchant(ref reader, visit.MerchantHash);
        }

        BeginVisitsWrite();
        for (var i = 0; i < visitCount; i++)
        {
            ref var visit = ref Visits[i];
            Volatile.Write(ref visit.MerchantHash, visits[i].MerchantHash);
            Volatile.Write(ref visit.FirstTicks, visits[i].FirstTicks);
            Volatile.Write(ref visit.LastTicks, visits[i].LastTicks);
            Volatile.Write(ref visit.Node, visits[i].Node);
        }

        Volatile.Write(ref VisitCount, visitCount);
        EndVisitsWrite();
        lock (this)
        {
            ReportedTicks = reportedTicks;
            FraudReportedTicks = fraudReportedTicks;
        }

        Windows = SlidingWindows.ReadCheckpoint(ref reader, last, references.Options.MaxWindowEvents);
        Days = CardDayBuckets.ReadCheckpoint(ref reader, DayBuckets.DayOf(last));
    }

    public long ApproximateBytes =>
        (Key.Length * 2) + 24
        + 200 // this object's fields and header
        + Windows.ApproximateBytes
        + (24 * 4) + (DeviceSlots * 8) // inline hour histogram and devices
        + CardDayBuckets.Bytes // inline day ring
        + (MerchantSlots * 32);
}
