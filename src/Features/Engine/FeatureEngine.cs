using System.Buffers;
using FraudStream.Core.Contracts;
using FraudStream.Features.Checkpoints;
using FraudStream.Features.Common;
using FraudStream.Features.Graph;
using FraudStream.Features.Schema;

namespace FraudStream.Features.Engine;

/// <summary>
/// Computes the <see cref="FeatureSchema"/> vector of each transaction from the state before it, then
/// folds the transaction into that state, incrementally (nothing is rebuilt from history).
/// <para>
/// Threading: one engine owns its cards and is used from one thread; route a card always to the same
/// engine. The <see cref="MerchantGraph"/> passed in may be shared by many engines.
/// </para>
/// <para>
/// Time: each card keeps its own clock, the latest event time it has seen. A transaction older than
/// that (out of order, or a terminal with a skewed clock) is treated as happening at the card's latest
/// time: it is counted in the windows, <c>card.seconds_since_prev</c> is 0, and no window ever moves
/// backwards. Merchants and devices clamp the same way.
/// </para>
/// <para>
/// Partitions: an engine's state is a function of the transactions it processed (and of the graph), so one engine
/// per Kafka partition makes a partition's cards a unit that can be checkpointed, restored and moved on its own.
/// Nothing here assumes more than that: the engine clock (which drives card expiry) and the expiry sweep are then
/// the partition's; the <see cref="PrefetchAhead"/> chain is the engine's, so a worker that owns several partitions
/// announces each transaction to its partition's engine (a chain interleaved across engines only loads less ahead).
/// </para>
/// <para>
/// Checkpoints: <see cref="WriteCheckpoint(IBufferWriter{byte})"/> while no transaction is being processed (the
/// pipeline drains first); <see cref="ReadCheckpoint(ReadOnlySpan{byte}, MerchantGraph)"/> after the graph's own
/// restore. See docs/STATE.md.
/// </para>
/// </summary>
public sealed class FeatureEngine
{
    private const double HoursPerTick = 1.0 / TimeSpan.TicksPerHour;
    private const double SecondsPerTick = 1.0 / TimeSpan.TicksPerSecond;
    private const double MinimumSpeedHours = 1.0 / 60; // speeds over less than a minute are taken over one

    // Keyed by the card id's stable 64-bit hash: the lookup never touches the (cold) stored key string.
    private readonly CardTable _cards = new();
    private readonly MerchantGraph _graph;
    private readonly FeatureOptions _options;
    private readonly long _cardIdleTicks;
    private const int EvictionSample = 16;
    private long _clock = long.MinValue;
    private long _cardsEvicted;
    private ulong _slotAhead; // card hash whose table slot was requested on the last PrefetchAhead; 0: none
    private CardState? _cardAhead; // card whose fields were requested on the last PrefetchAhead

    public FeatureEngine(MerchantGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        _graph = graph;
        _options = graph.Options;
        _cardIdleTicks = _options.CardIdleTtl.Ticks;
    }

    public MerchantGraph Graph => _graph;

    public int CardCount => _cards.Count;

    /// <summary>Cards evicted since this engine was created because <see cref="FeatureOptions.MaxCardsPerPartition"/> was reached.</summary>
    public long CardsEvicted => Volatile.Read(ref _cardsEvicted);

    /// <summary>Latest event time this engine has seen.</summary>
    public DateTime Clock => _clock == long.MinValue ? DateTime.MinValue : new DateTime(_clock, DateTimeKind.Utc);

    /// <summary>
    /// A hint for batches: <paramref name="upcoming"/> will be processed three <see cref="Process"/> calls from
    /// now, so its state can start loading, one link of the chain per call: now the card's table slot (and the
    /// device's); on the next call the card, whose address that slot holds; on the one after, what the card
    /// points to (its window ring, its merchants' shares). With the card state far larger than the cache, this
    /// overlaps each transaction's cache misses with the work on the ones before it, and no request waits on a
    /// line that has not arrived. Changes no value; a transaction announced but never processed costs nothing.
    /// </summary>
    public void PrefetchAhead(Transaction upcoming)
    {
        ArgumentNullException.ThrowIfNull(upcoming);
        if (_cardAhead is { } loaded)
        {
            loaded.Windows.Prefetch();
            loaded.PrefetchVisitedMerchants();
        }

        _cardAhead = null;
        if (_slotAhead != 0 && _cards.TryGet(_slotAhead, out var card))
        {
            card.PrefetchFields();
            _cardAhead = card;
        }

        _slotAhead = upcoming.Card is null ? 0 : StableHash.Of(upcoming.Card);
        if (_slotAhead != 0)
        {
            _cards.Prefetch(_slotAhead);
        }

        var device = StableHash.OfId(upcoming.Device);
        if (device != 0)
        {
            _graph.PrefetchDevice(device);
        }
    }

    /// <summary>
    /// Writes <see cref="FeatureSchema.Count"/> features of <paramref name="tx"/> (computed from the
    /// state before it, so it never sees itself) into <paramref name="features"/>, then updates the state.
    /// </summary>
    public void Process(Transaction tx, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(tx);
        if (features.Length < FeatureSchema.Count)
        {
            throw new ArgumentException($"needs room for {FeatureSchema.Count} features", nameof(features));
        }

        var eventTicks = tx.Timestamp.Ticks;
        if (eventTicks > _clock)
        {
            _clock = eventTicks;
        }

        // Hash every id first and start loading the state each one leads to, so that the cache misses
        // of card, merchant, device and index slot overlap instead of coming one after another. The
        // card and device ids (many, so likely cold) are asked for first and hashed last.
        Prefetch.Text(tx.Card);
        Prefetch.Text(tx.Device);
        var idHash = StableHash.Of(tx.Id);
        _graph.Index.Prefetch(idHash);
        var merchant = _graph.Merchant(StableHash.OfId(tx.Merchant));
        merchant.Prefetch(eventTicks / TimeSpan.TicksPerHour);
        var deviceHash = StableHash.OfId(tx.Device); // 0: no device
        if (deviceHash != 0)
        {
            _graph.PrefetchDevice(deviceHash);
        }

        var cardHash = StableHash.Of(tx.Card);
        var card = CardFor(tx.Card, cardHash);
        card.Prefetch();
        card.PrefetchVisitedMerchants();

        var now = Math.Max(eventTicks, card.LastTicks);
        var isFirst = card.HistoryCount == 0;
        var amount = (double)tx.Amount;
        var hour = tx.Timestamp.Hour;

        features[FeatureSchema.TxAmount] = (float)amount;
        features[FeatureSchema.TxLogAmount] = (float)Math.Log(1 + Math.Max(0, amount));
        features[FeatureSchema.TxHour] = hour;
        features[FeatureSchema.TxChannel] = (float)tx.Channel;

        ref var windows = ref card.Windows;
        windows.Advance(now);
        features[FeatureSchema.CardCount1m] = windows.Count1m;
        features[FeatureSchema.CardCount1h] = windows.Count1h;
        features[FeatureSchema.CardCount24h] = windows.Count24h;
        features[FeatureSchema.CardAmountSum1m] = (float)windows.Sum1m;
        features[FeatureSchema.CardAmountSum1h] = (float)windows.Sum1h;
        features[FeatureSchema.CardAmountSum24h] = (float)windows.Sum24h;
        features[FeatureSchema.CardSecondsSincePrev] = isFirst ? float.NaN : (float)((now - card.LastTicks) * SecondsPerTick);

        var today = DayBuckets.DayOf(now);
        WriteDays(ref card.Days, today, amount, features);
        WriteAmountHistory(card, amount, features);
        features[FeatureSchema.CardAmountVsCategory] = string.IsNullOrEmpty(tx.Category)
            ? float.NaN
            : MerchantGraph.ReadAndUpdateCategory(_graph.Category(StableHash.OfId(tx.Category)), now, amount);

        var merchantHash = merchant.Hash;
        var newCustomer = ReadAndUpdateVisits(card, merchant, merchantHash, now, features);

        WriteDevice(card, deviceHash, now, cardHash, features);
        WriteCountry(card, tx.Country, isFirst, features);
        WriteLocation(card, tx, now, features);

        features[FeatureSchema.CardHourDeviation] = isFirst ? float.NaN : HourDeviation(ref card.HourHistogram, hour, card.HistoryCount);
        features[FeatureSchema.CardHistoryCount] = card.HistoryCount;
        var fraudReported = card.FraudReportedTicks;
        features[FeatureSchema.CardDaysSinceReportedFraud] = fraudReported == long.MinValue
            ? float.NaN
            : (float)(Math.Max(0, now - fraudReported) / (double)TimeSpan.TicksPerDay);

        _graph.ReadAndUpdateMerchant(merchant, now, cardHash, newCustomer, amount, features, out var fraudRate, out var degree, out var share);
        features[FeatureSchema.MerchantFraudRate] = fraudRate;
        features[FeatureSchema.MerchantDegree24h] = degree;
        features[FeatureSchema.MerchantCompromiseShare] = share;

        // Fold the transaction in.
        windows.Add(now, amount);
        card.Days.Add(today, amount);
        card.HourHistogram[hour]++;
        card.HistoryCount++;
        card.LastTicks = now;
        _cards.Touch(card, now);
        _graph.Index.Record(idHash, card, merchant, eventTicks);
        _graph.NoteUpdate(now);
        ExpireSomeIdleCards();
    }

    /// <summary>
    /// Writes the engine's state (its clock, its cards in expiry order with everything a feature reads) as a
    /// checkpoint of kind <see cref="CheckpointKind.Engine"/>. The engine must be idle meanwhile (it is used from
    /// one thread: call it from that thread between transactions, or after a drain); the graph need not be.
    /// </summary>
    public void WriteCheckpoint(IBufferWriter<byte> destination)
    {
        var writer = CheckpointEnvelope.Begin(destination, CheckpointKind.Engine, out var payloadStart);
        WritePayload(ref writer, new ReferenceWriter());
        CheckpointEnvelope.End(ref writer, payloadStart);
    }

    /// <inheritdoc cref="WriteCheckpoint(IBufferWriter{byte})"/>
    public void WriteCheckpoint(Stream destination) => CheckpointStreams.Write(destination, WriteCheckpoint);

    /// <summary>
    /// An engine with the state of <paramref name="checkpoint"/>, over <paramref name="graph"/>: the graph restored
    /// from the checkpoint taken with this one (merchants the cards visited, and the cards the label index holds,
    /// are then the same objects again), or any other graph (then merchants are looked up or added by id). The
    /// checkpoint is checked whole first; <see cref="CheckpointRejectedException"/> before any card is read.
    /// Other engines of the graph may run meanwhile.
    /// </summary>
    public static FeatureEngine ReadCheckpoint(ReadOnlySpan<byte> checkpoint, MerchantGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var reader = new CheckpointReader(CheckpointEnvelope.Open(checkpoint, CheckpointKind.Engine));
        var engine = new FeatureEngine(graph);
        engine.ReadPayload(ref reader, new ReferenceReader(graph));
        reader.ExpectEnd();
        return engine;
    }

    /// <inheritdoc cref="ReadCheckpoint(ReadOnlySpan{byte}, MerchantGraph)"/>
    public static FeatureEngine ReadCheckpoint(Stream source, MerchantGraph graph) => ReadCheckpoint(CheckpointStreams.ReadAll(source), graph);

    internal void WritePayload(ref CheckpointWriter writer, ReferenceWriter references)
    {
        writer.WriteInt64(_clock);
        _cards.WriteCheckpoint(ref writer, references);
    }

    /// <summary>
    /// Copies the engine's state into <paramref name="snapshot"/> as of capture <paramref name="epoch"/> (cards it
    /// expires from now on are marked with it). While idle, as for <see cref="WriteCheckpoint(IBufferWriter{byte})"/>.
    /// </summary>
    internal void CaptureInto(Snapshot snapshot, long epoch)
    {
        _cards.CaptureEpoch = epoch;
        snapshot.Clock = _clock;
        snapshot.Count = _cards.Count;
        snapshot.SweepCursor = _cards.CaptureInto(ref snapshot.Cards, ref snapshot.Sources, ref snapshot.CopiedLast);
    }

    /// <summary>A private copy of an engine (<see cref="CaptureInto"/>): its clock and a copy of each card, in ring order, reused between captures.</summary>
    internal sealed class Snapshot
    {
        public CardState[] Cards = [];
        public CardState?[] Sources = []; // the live card each copy was taken from
        public int CopiedLast; // cards copied by the last capture (the others had not changed)
        public int Count;
        public int SweepCursor;
        public long Clock;

        /// <summary>Bytes of the card copies held (their rings included).</summary>
        public long CopiedBytes
        {
            get
            {
                long bytes = 0;
                foreach (var card in Cards)
                {
                    bytes += card is null ? 0 : card.ApproximateBytes;
                }

                return bytes;
            }
        }

        /// <summary>What <see cref="WritePayload"/> wrote at the capture.</summary>
        public void WritePayload(ref CheckpointWriter writer, ReferenceWriter references)
        {
            writer.WriteInt64(Clock);
            CardTable.WriteCopies(ref writer, references, Cards.AsSpan(0, Count), Sources.AsSpan(0, Count), SweepCursor);
        }
    }

    internal void ReadPayload(ref CheckpointReader reader, ReferenceReader references)
    {
        _clock = reader.ReadInt64();
        _cards.ReadCheckpoint(ref reader, references, _graph);
    }

    /// <summary>Memory held by this engine's cards, and by the graph it shares.</summary>
    public MemoryReport GetMemoryReport()
    {
        long cardBytes = 0;
        foreach (var card in _cards.Cards)
        {
            cardBytes += card.ApproximateBytes + 48; // + dictionary entry
        }

        return new MemoryReport(_cards.Count, cardBytes, _graph.MerchantCount, _graph.DeviceCount, _graph.ApproximateBytes);
    }

    /// <summary>Average bytes a card's state takes in this engine (0 when it holds none).</summary>
    public long ApproximateBytesPerCard => GetMemoryReport().BytesPerCard;

    /// <summary>The card's 7- and 30-day spending and its weekday habit, from the days before this transaction.</summary>
    private static void WriteDays(ref CardDayBuckets days, int today, double amount, Span<float> features)
    {
        days.Summarize(today, out var windows);
        features[FeatureSchema.CardCount7d] = windows.Count7d;
        features[FeatureSchema.CardCount30d] = windows.Count30d;
        features[FeatureSchema.CardAmountVsMean7d] = AmountVsMean(amount, windows.Amount7d, windows.Count7d);
        features[FeatureSchema.CardAmountVsMean30d] = AmountVsMean(amount, windows.Amount30d, windows.Count30d);
        features[FeatureSchema.CardWeekdayShare] = windows.Count28d == 0 ? float.NaN : (float)windows.SameWeekday28d / windows.Count28d;
    }

    /// <summary>The amount over the window's mean amount; NaN for an empty window or one of no spending.</summary>
    internal static float AmountVsMean(double amount, double windowSum, int windowCount) =>
        windowCount == 0 || windowSum <= 0 ? float.NaN : (float)(amount * windowCount / windowSum);

    private static void WriteAmountHistory(CardState card, double amount, Span<float> features)
    {
        var n = card.HistoryCount;
        features[FeatureSchema.CardAmountMean] = n == 0 ? float.NaN : (float)card.AmountMean;
        if (n < 2)
        {
            features[FeatureSchema.CardAmountZScore] = float.NaN;
        }
        else
        {
            var std = Math.Sqrt(card.AmountM2 / (n - 1));
            features[FeatureSchema.CardAmountZScore] = (float)((amount - card.AmountMean) / Math.Max(std, 1.0));
        }

        // Welford update.
        var delta = amount - card.AmountMean;
        card.AmountMean += delta / (n + 1);
        card.AmountM2 += delta * (amount - card.AmountMean);
    }

    /// <summary>Distinct merchants, first-time-here and exposure, then records the visit. Returns whether the card is new to the merchant.</summary>
    private bool ReadAndUpdateVisits(CardState card, MerchantNode merchant, ulong merchantHash, long now, Span<float> features)
    {
        var cutoff10m = now - (10 * TimeSpan.TicksPerMinute);
        var cutoff24h = now - TimeSpan.TicksPerDay;
        var distinct10m = 0;
        var distinct24h = 0;
        var exposure = 0.0;
        var found = -1;
        var oldest = 0;

        // The engine owns the card, so it reads its visits freely; its writes go through the seqlock
        // that label application reads them by (no lock, no atomic instruction).
        ref var visits = ref card.Visits;
        for (var i = 0; i < card.VisitCount; i++)
        {
            ref var visit = ref visits[i];
            if (visit.LastTicks > cutoff10m)
            {
                distinct10m++;
            }

            if (visit.LastTicks > cutoff24h)
            {
                distinct24h++;
            }

            if (visit.MerchantHash == merchantHash)
            {
                found = i;
            }

            if (visit.Node is not null)
            {
                exposure = Math.Max(exposure, visit.Node.CompromiseShare);
            }

            if (visit.LastTicks < visits[oldest].LastTicks)
            {
                oldest = i;
            }
        }

        features[FeatureSchema.CardDistinctMerchants10m] = distinct10m;
        features[FeatureSchema.CardDistinctMerchants24h] = distinct24h;
        features[FeatureSchema.CardFirstTimeMerchant] = found < 0 ? 1f : 0f;
        features[FeatureSchema.CardExposure] = card.VisitCount == 0 ? float.NaN : (float)exposure;

        card.BeginVisitsWrite();
        if (found >= 0)
        {
            Volatile.Write(ref visits[found].LastTicks, now);
            Volatile.Write(ref visits[found].Node, merchant);
            card.EndVisitsWrite();
            return false;
        }

        var slot = oldest;
        if (card.VisitCount < CardState.MerchantSlots)
        {
            slot = card.VisitCount;
            Volatile.Write(ref card.VisitCount, slot + 1);
        }

        ref var added = ref visits[slot];
        Volatile.Write(ref added.MerchantHash, merchantHash);
        Volatile.Write(ref added.FirstTicks, now);
        Volatile.Write(ref added.LastTicks, now);
        Volatile.Write(ref added.Node, merchant);
        card.EndVisitsWrite();
        return true;
    }

    private void WriteDevice(CardState card, ulong deviceHash, long now, ulong cardHash, Span<float> features)
    {
        if (deviceHash == 0)
        {
            features[FeatureSchema.CardFirstTimeDevice] = float.NaN;
            features[FeatureSchema.DeviceDistinctCards24h] = float.NaN;
            return;
        }

        var known = false;
        for (var i = 0; i < card.DeviceCount; i++)
        {
            if (card.Devices[i] == deviceHash)
            {
                known = true;
                break;
            }
        }

        features[FeatureSchema.CardFirstTimeDevice] = known ? 0f : 1f;
        if (!known)
        {
            if (card.DeviceCount < CardState.DeviceSlots)
            {
                card.Devices[card.DeviceCount++] = deviceHash;
            }
            else
            {
                card.Devices[card.DeviceCursor] = deviceHash;
                card.DeviceCursor = (card.DeviceCursor + 1) % CardState.DeviceSlots;
            }
        }

        features[FeatureSchema.DeviceDistinctCards24h] = _graph.ReadAndUpdateDevice(deviceHash, now, cardHash);
    }

    private static void WriteCountry(CardState card, string country, bool isFirst, Span<float> features)
    {
        var countryHash = StableHash.OfId(country);
        if (isFirst || countryHash == 0 || card.LastCountry == 0)
        {
            features[FeatureSchema.CardCountryChange] = float.NaN;
        }
        else
        {
            features[FeatureSchema.CardCountryChange] = countryHash == card.LastCountry ? 0f : 1f;
        }

        if (countryHash != 0)
        {
            card.LastCountry = countryHash;
        }
    }

    private static void WriteLocation(CardState card, Transaction tx, long now, Span<float> features)
    {
        if (!tx.HasLocation)
        {
            features[FeatureSchema.CardDistanceHomeKm] = float.NaN;
            features[FeatureSchema.CardSpeedKmh] = float.NaN;
            return;
        }

        var lat = tx.Latitude;
        var lon = tx.Longitude;
        var cosLat = Geo.CosLatitude(lat); // used twice now and kept for the next speed
        if (card.LocatedCount == 0)
        {
            features[FeatureSchema.CardDistanceHomeKm] = float.NaN;
            features[FeatureSchema.CardSpeedKmh] = float.NaN;
        }
        else
        {
            features[FeatureSchema.CardDistanceHomeKm] = (float)Geo.DistanceKm(
                card.HomeLatitude, card.HomeLongitude, Geo.CosLatitude(card.HomeLatitude), lat, lon, cosLat);
            var hours = Math.Max((now - card.PreviousLocatedTicks) * HoursPerTick, MinimumSpeedHours);
            var fromPrevious = Geo.DistanceKm(card.PreviousLatitude, card.PreviousLongitude, card.PreviousCosLatitude, lat, lon, cosLat);
            features[FeatureSchema.CardSpeedKmh] = (float)(fromPrevious / hours);
        }

        card.LocatedCount++;
        card.HomeLatitude += (lat - card.HomeLatitude) / card.LocatedCount;
        card.HomeLongitude += (lon - card.HomeLongitude) / card.LocatedCount;
        card.PreviousLatitude = lat;
        card.PreviousCosLatitude = cosLat;
        card.PreviousLongitude = lon;
        card.PreviousLocatedTicks = now;
    }

    /// <summary>1 minus the share of the card's past transactions within an hour of this hour of day.</summary>
    private static float HourDeviation(ref HourCounts histogram, int hour, long total)
    {
        var near = histogram[(hour + 23) % 24] + histogram[hour] + histogram[(hour + 1) % 24];
        return (float)(1.0 - ((double)near / total));
    }

    private CardState CardFor(string key, ulong hash)
    {
        if (_cards.TryGet(hash, out var card))
        {
            return card;
        }

        if (_cards.Count >= _options.MaxCardsPerPartition)
        {
            // Over the cap: the least recently seen of a sample goes, as if it had expired, and is counted.
            _cards.EvictLeastRecent(EvictionSample);
            Volatile.Write(ref _cardsEvicted, _cardsEvicted + 1);
        }

        card = new CardState(key, hash, _options);
        _cards.Add(card);
        return card;
    }

    /// <summary>Checks a few cards per transaction, round robin, so idle ones go without a full scan.</summary>
    private void ExpireSomeIdleCards() => _cards.ExpireSome(_clock - _cardIdleTicks, _options.ExpiryChecksPerTransaction);
}
