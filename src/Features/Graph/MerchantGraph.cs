using System.Buffers;
using FraudStream.Core.Contracts;
using FraudStream.Features.Checkpoints;
using FraudStream.Features.Common;
using FraudStream.Features.Engine;

namespace FraudStream.Features.Graph;

/// <summary>
/// The cards–merchants–devices graph shared by every <see cref="FeatureEngine"/> of a process. Safe for
/// concurrent use: each merchant, category, device segment and index stripe has its own gate (an
/// inline spin lock); node lookups take none; there is no process-wide lock. Labels are applied with <see cref="ApplyLabel"/> in reported-at order and take
/// effect at once; callers must apply a label only once its reported time has come (see
/// <see cref="Replay.FeatureReplay"/>), which is what keeps labels from leaking into earlier features.
/// <para>
/// Checkpoints: <see cref="WriteCheckpoint(IBufferWriter{byte})"/> needs the graph quiescent — no engine processing
/// and no label being applied (the pipeline's drain pauses both); the gates guard single updates, not a
/// consistent picture of all of them. <see cref="ReadCheckpoint(ReadOnlySpan{byte}, FeatureOptions?)"/> builds a
/// new graph; restore the engines' checkpoints taken with it afterwards. See docs/STATE.md.
/// </para>
/// </summary>
public sealed class MerchantGraph
{
    // Keyed by the id's stable hash, as cards are: the engine hashes each id once per transaction.
    private readonly NodeTable<MerchantNode> _merchants = new();
    private readonly DeviceTable _devices = new();
    private readonly NodeTable<CategoryNode> _categories = new();
    private readonly TransactionIndex _index;
    private readonly double _fraudDecayTicks;
    private readonly double _compromiseDecayTicks;
    private readonly long _lookbackTicks;
    private readonly long _idleTicks;
    private readonly long _sweepMask;
    private long _updates;
    private int _sweeping;
    private long _labelsUnmatched;
    private long _lastOrphanId;
    private readonly Action<MerchantNode> _markOrphan;

    // Restores only: expired merchants that checkpoints name by id, and the cards the restored label index
    // holds that await their engine's checkpoint. Engines may be restored while others run, hence a lock.
    private readonly Lock _restoreGate = new();
    private readonly Dictionary<long, MerchantNode> _restoredOrphans = [];
    private readonly Dictionary<ulong, CardState> _cardsAwaitingEngine = [];
    private long _nodesEvicted;

    public MerchantGraph(FeatureOptions? options = null)
    {
        Options = options ?? new FeatureOptions();
        _index = new TransactionIndex(Options.LabelIndexCapacity);
        _fraudDecayTicks = Options.FraudRateDecay.Ticks;
        _compromiseDecayTicks = Options.CompromiseDecay.Ticks;
        _lookbackTicks = Options.CompromiseLookback.Ticks;
        _idleTicks = Options.GraphIdleTtl.Ticks;
        _sweepMask = (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, Options.GraphSweepInterval)) - 1;
        _markOrphan = node => node.OrphanId = Interlocked.Increment(ref _lastOrphanId);
    }

    public FeatureOptions Options { get; }

    public int MerchantCount => _merchants.Count;

    public int DeviceCount => _devices.Count;

    /// <summary>Fraud labels whose transaction was no longer (or never) in the index.</summary>
    public long LabelsUnmatched => Interlocked.Read(ref _labelsUnmatched);

    internal TransactionIndex Index => _index;

    /// <summary>The published smoothed fraud rate of a merchant, or NaN if unknown.</summary>
    public double MerchantFraudRate(string merchant) =>
        _merchants.Find(StableHash.OfId(merchant)) is { } node ? node.FraudRate : double.NaN;

    /// <summary>The published two-hop compromise share of a merchant, or NaN if unknown.</summary>
    public double MerchantCompromiseShare(string merchant) =>
        _merchants.Find(StableHash.OfId(merchant)) is { } node ? node.CompromiseShare : double.NaN;

    /// <summary>Applies a label now. Only fraud labels change state; returns false when the id is unknown.</summary>
    public bool ApplyLabel(Label label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (!label.Fraud)
        {
            return _index.TryFind(label.Id, out _, out _, out _);
        }

        if (!_index.TryFind(label.Id, out var card, out var merchant, out var txTicks) || card is null || merchant is null)
        {
            Interlocked.Increment(ref _labelsUnmatched);
            return false;
        }

        var now = label.ReportedAt.Ticks;
        merchant.Gate.Enter();
        try
        {
            Decay(merchant, now);
            merchant.Frauds += 1;
            merchant.Days.Mark(DayBuckets.DayOf(txTicks));
            Publish(merchant);
        }
        finally
        {
            merchant.Gate.Exit();
        }

        PropagateToEarlierMerchants(card, txTicks, now);
        return true;
    }

    /// <summary>Merchants, devices and categories dropped because the graph held <see cref="FeatureOptions.MaxGraphNodes"/> of a kind.</summary>
    public long NodesEvicted => Interlocked.Read(ref _nodesEvicted);

    /// <summary>
    /// Removes merchants, devices and categories idle since before <paramref name="now"/> minus the TTL, then, where
    /// merchants, devices or categories still exceed <see cref="FeatureOptions.MaxGraphNodes"/>, the least recently active.
    /// </summary>
    public int ExpireIdle(DateTime now)
    {
        var cutoff = now.Ticks - _idleTicks;
        var removed = _merchants.RemoveIdle(cutoff, _markOrphan) + _devices.RemoveIdle(cutoff) + _categories.RemoveIdle(cutoff);
        var cap = Options.MaxGraphNodes;
        var evicted = 0;
        if (_merchants.Count > cap)
        {
            evicted += _merchants.RemoveIdle(CutoffKeeping(_merchants.AddActivity, cap), _markOrphan);
        }

        if (_devices.Count > cap)
        {
            evicted += _devices.RemoveIdle(CutoffKeeping(_devices.AddActivity, cap));
        }

        if (_categories.Count > cap)
        {
            evicted += _categories.RemoveIdle(CutoffKeeping(_categories.AddActivity, cap));
        }

        if (evicted > 0)
        {
            Interlocked.Add(ref _nodesEvicted, evicted);
        }

        return removed + evicted;
    }

    // The activity below which dropping leaves about 90 % of the cap (ties keep a few more); rare, so it may allocate.
    private static long CutoffKeeping(Action<List<long>> addActivity, int cap)
    {
        var activity = new List<long>();
        addActivity(activity);
        var keep = Math.Max(1, cap - (cap / 10));
        if (activity.Count <= keep)
        {
            return long.MinValue;
        }

        activity.Sort();
        return activity[activity.Count - keep];
    }

    /// <summary>
    /// Cards the restored label index points to whose engine has not been restored (yet): labels for their
    /// transactions still count at the merchant but reach none of the card's earlier merchants. 0 once every
    /// partition's engine is back.
    /// </summary>
    public int RestoredCardsAwaitingEngine
    {
        get
        {
            lock (_restoreGate)
            {
                return _cardsAwaitingEngine.Count;
            }
        }
    }

    /// <summary>
    /// Writes the graph — merchants, categories, devices, the label index (with the expired cards and merchants it
    /// still points to), its counters and clocks — as a checkpoint of kind <see cref="CheckpointKind.Graph"/>.
    /// Nodes go in hash order, so equal graphs give equal bytes. Needs the graph quiescent (see the class remarks).
    /// </summary>
    public void WriteCheckpoint(IBufferWriter<byte> destination)
    {
        var writer = CheckpointEnvelope.Begin(destination, CheckpointKind.Graph, out var payloadStart);
        WritePayload(ref writer, new ReferenceWriter());
        CheckpointEnvelope.End(ref writer, payloadStart);
    }

    /// <inheritdoc cref="WriteCheckpoint(IBufferWriter{byte})"/>
    public void WriteCheckpoint(Stream destination) => CheckpointStreams.Write(destination, WriteCheckpoint);

    /// <summary>
    /// A new graph with the state of <paramref name="checkpoint"/> and today's <paramref name="options"/> (the same
    /// options as the writer's give the same features bit for bit; a smaller label index keeps the newest entries).
    /// The checkpoint is checked whole first: <see cref="CheckpointRejectedException"/>, and no graph, on any fault.
    /// </summary>
    public static MerchantGraph ReadCheckpoint(ReadOnlySpan<byte> checkpoint, FeatureOptions? options = null)
    {
        var reader = new CheckpointReader(CheckpointEnvelope.Open(checkpoint, CheckpointKind.Graph));
        var graph = new MerchantGraph(options);
        graph.ReadPayload(ref reader, new ReferenceReader(graph));
        reader.ExpectEnd();
        return graph;
    }

    /// <inheritdoc cref="ReadCheckpoint(ReadOnlySpan{byte}, FeatureOptions?)"/>
    public static MerchantGraph ReadCheckpoint(Stream source, FeatureOptions? options = null) =>
        ReadCheckpoint(CheckpointStreams.ReadAll(source), options);

    internal void WritePayload(ref CheckpointWriter writer, ReferenceWriter references)
    {
        writer.WriteVarInt(_updates);
        writer.WriteVarInt(_labelsUnmatched);
        writer.WriteVarInt(_lastOrphanId);
        var merchants = _merchants.SortedByHash();
        writer.WriteCount(merchants.Length);
        foreach (var merchant in merchants)
        {
            merchant.WriteCheckpoint(ref writer);
        }

        var categories = _categories.SortedByHash();
        writer.WriteCount(categories.Length);
        foreach (var category in categories)
        {
            category.WriteCheckpoint(ref writer);
        }

        _devices.WriteCheckpoint(ref writer);
        _index.WriteCheckpoint(ref writer, references);
    }

    /// <summary>
    /// Copies the graph into <paramref name="snapshot"/> (its buffers reused from one capture to the next): counters,
    /// every merchant and category node by value, the devices packed, the label index's entries. Needs the graph
    /// quiescent, as <see cref="WriteCheckpoint(IBufferWriter{byte})"/> does; <see cref="Snapshot.WritePayload"/> then
    /// writes later, while the engines run on, the payload <see cref="WritePayload"/> would have written now.
    /// Done in <see cref="CaptureParts"/> parts, each once, on any thread: the counters with the merchants and
    /// categories, then groups of device segments, then groups of label-index stripes. Parts share nothing, so the
    /// workers parked at the barrier copy them at once.
    /// </summary>
    internal void CaptureInto(Snapshot snapshot, int part)
    {
        if (part == 0)
        {
            snapshot.Updates = _updates;
            snapshot.LabelsUnmatched = _labelsUnmatched;
            snapshot.LastOrphanId = _lastOrphanId;
            snapshot.MerchantCount = _merchants.CollectNodes(ref snapshot.LiveMerchants);
            snapshot.MerchantCopies = CopyNodes(snapshot.LiveMerchants, snapshot.MerchantCount, snapshot.MerchantCopies, ref snapshot.MerchantHashes,
                static () => new MerchantNode(0), static (copy, live) => copy.CopyStateFrom(live));
            snapshot.CategoryCount = _categories.CollectNodes(ref snapshot.LiveCategories);
            snapshot.CategoryCopies = CopyNodes(snapshot.LiveCategories, snapshot.CategoryCount, snapshot.CategoryCopies, ref snapshot.CategoryHashes,
                static () => new CategoryNode(0), static (copy, live) => copy.CopyStateFrom(live));
        }
        else if (part <= DeviceTable.CaptureGroups)
        {
            _devices.CaptureInto(snapshot.Devices, part - 1);
        }
        else
        {
            _index.CaptureInto(snapshot.Index, part - 1 - DeviceTable.CaptureGroups);
        }
    }

    /// <summary>The parts of <see cref="CaptureInto"/>: one for the counters, merchants and categories, then the device and index groups.</summary>
    internal const int CaptureParts = 1 + DeviceTable.CaptureGroups + TransactionIndex.CaptureGroups;

    /// <summary>The snapshot's buffers that do not grow with the state, allocated and mapped ahead of the first capture (<see cref="TransactionIndex.PrepareSnapshot"/>).</summary>
    internal void PrepareSnapshot(Snapshot snapshot) => _index.PrepareSnapshot(snapshot.Index);

    private static TNode[] CopyNodes<TNode>(TNode[] live, int count, TNode[] copies, ref ulong[] hashes, Func<TNode> create, Action<TNode, TNode> copy)
        where TNode : class, IGraphNode
    {
        if (copies.Length < count)
        {
            var grown = new TNode[Math.Max(count, copies.Length * 2)];
            copies.CopyTo(grown, 0);
            copies = grown;
            hashes = new ulong[grown.Length];
        }

        for (var i = 0; i < count; i++)
        {
            var node = copies[i] ??= create();
            copy(node, live[i]);
            live[i] = null!; // the snapshot must not keep expired nodes alive until the next capture
        }

        return copies;
    }

    /// <summary>A private copy of a graph (<see cref="CaptureInto"/>); references in it still name live cards and expired merchants, which nothing changes while labels wait.</summary>
    internal sealed class Snapshot
    {
        public long Updates;
        public long LabelsUnmatched;
        public long LastOrphanId;
        public MerchantNode[] LiveMerchants = [];
        public MerchantNode[] MerchantCopies = [];
        public ulong[] MerchantHashes = [];
        public int MerchantCount;
        public CategoryNode[] LiveCategories = [];
        public CategoryNode[] CategoryCopies = [];
        public ulong[] CategoryHashes = [];
        public int CategoryCount;
        public readonly DeviceTable.Snapshot Devices = new();
        public readonly TransactionIndex.Snapshot Index = new();

        /// <summary>Bytes of the copies this snapshot holds (reused by the next capture).</summary>
        public long CopiedBytes =>
            (MerchantCopies.Length * (MerchantNode.ApproximateBytes + 16L)) + (CategoryCopies.Length * 64L)
            + Devices.CopiedBytes + Index.CopiedBytes;

        /// <summary>What <see cref="WritePayload"/> wrote at the capture: the nodes sorted by hash now, off the barrier.</summary>
        public void WritePayload(ref CheckpointWriter writer, ReferenceWriter references)
        {
            writer.WriteVarInt(Updates);
            writer.WriteVarInt(LabelsUnmatched);
            writer.WriteVarInt(LastOrphanId);
            SortByHash(MerchantCopies, MerchantHashes, MerchantCount);
            writer.WriteCount(MerchantCount);
            for (var i = 0; i < MerchantCount; i++)
            {
                MerchantCopies[i].WriteCheckpoint(ref writer);
            }

            SortByHash(CategoryCopies, CategoryHashes, CategoryCount);
            writer.WriteCount(CategoryCount);
            for (var i = 0; i < CategoryCount; i++)
            {
                CategoryCopies[i].WriteCheckpoint(ref writer);
            }

            Devices.Write(ref writer);
            Index.Write(ref writer, references);
        }

        private static void SortByHash<TNode>(TNode[] nodes, ulong[] hashes, int count)
            where TNode : IGraphNode
        {
            for (var i = 0; i < count; i++)
            {
                hashes[i] = nodes[i].Hash;
            }

            Array.Sort(hashes, nodes, 0, count);
        }
    }

    internal void ReadPayload(ref CheckpointReader reader, ReferenceReader references)
    {
        _updates = reader.ReadVarInt();
        _labelsUnmatched = reader.ReadVarInt();
        _lastOrphanId = reader.ReadVarInt();
        var merchants = reader.ReadLength();
        for (var i = 0; i < merchants; i++)
        {
            if (!_merchants.TryAdd(MerchantNode.ReadCheckpoint(ref reader)))
            {
                CheckpointReader.ThrowMalformed("a merchant appears twice");
            }
        }

        var categories = reader.ReadLength();
        for (var i = 0; i < categories; i++)
        {
            if (!_categories.TryAdd(CategoryNode.ReadCheckpoint(ref reader)))
            {
                CheckpointReader.ThrowMalformed("a category appears twice");
            }
        }

        _devices.ReadCheckpoint(ref reader);
        _index.ReadCheckpoint(ref reader, references);
    }

    /// <summary>The expired merchant a checkpoint brought, or this one if it is the first to bring it.</summary>
    internal MerchantNode AdoptOrphan(MerchantNode node)
    {
        lock (_restoreGate)
        {
            if (_restoredOrphans.TryGetValue(node.OrphanId, out var known))
            {
                return known;
            }

            _restoredOrphans.Add(node.OrphanId, node);

            // Ids handed out after this restore must not meet this one (it may come from another graph's checkpoint).
            long last;
            do
            {
                last = Volatile.Read(ref _lastOrphanId);
            }
            while (last < node.OrphanId && Interlocked.CompareExchange(ref _lastOrphanId, node.OrphanId, last) != last);

            return node;
        }
    }

    internal MerchantNode? FindOrphan(long orphanId)
    {
        lock (_restoreGate)
        {
            return _restoredOrphans.GetValueOrDefault(orphanId);
        }
    }

    /// <summary>The card the restored index points to under <paramref name="cardHash"/>, to be filled by its engine's restore.</summary>
    internal CardState AwaitEngineCard(ulong cardHash)
    {
        lock (_restoreGate)
        {
            if (!_cardsAwaitingEngine.TryGetValue(cardHash, out var card))
            {
                card = CardState.ForRestore(cardHash);
                _cardsAwaitingEngine.Add(cardHash, card);
            }

            return card;
        }
    }

    /// <summary>Hands an engine's restore the card the index already holds under <paramref name="cardHash"/>, if any (once).</summary>
    internal CardState? ClaimRestoredCard(ulong cardHash)
    {
        lock (_restoreGate)
        {
            return _cardsAwaitingEngine.Remove(cardHash, out var card) ? card : null;
        }
    }

    public long ApproximateBytes =>
        (_merchants.Count * (MerchantNode.ApproximateBytes + 64))
        + _devices.ApproximateBytes
        + (_categories.Count * 128L)
        + _index.ApproximateBytes;

    /// <summary>The merchant whose id hashes (<see cref="StableHash.OfId"/>) to <paramref name="hash"/>, added if new.</summary>
    internal MerchantNode Merchant(ulong hash) => _merchants.GetOrAdd(hash, static h => new MerchantNode(h));

    internal CategoryNode Category(ulong hash) => _categories.GetOrAdd(hash, static h => new CategoryNode(h));

    /// <summary>Reads the merchant's features as of <paramref name="now"/>, then counts this transaction.</summary>
    internal void ReadAndUpdateMerchant(
        MerchantNode merchant, long now, ulong cardHash, bool newCustomer, double amount, Span<float> features,
        out float fraudRate, out float degree24h, out float compromiseShare)
    {
        merchant.Gate.Enter();
        try
        {
            now = Math.Max(now, merchant.LastTicks);
            var day = DayBuckets.DayOf(now);
            WriteMerchantDays(ref merchant.Days, day, amount, features);
            merchant.Days.Add(day, amount);
            merchant.Customers24h.Advance(now / TimeSpan.TicksPerHour);
            var known = merchant.LastTicks != long.MinValue;
            fraudRate = (float)(known ? merchant.FraudRate : Options.PriorRate);
            compromiseShare = (float)(known ? merchant.CompromiseShare : Options.PriorRate);
            degree24h = !known ? 0f : (float)merchant.Customers24h.Estimate();

            Decay(merchant, now);
            merchant.Transactions += 1;
            if (newCustomer)
            {
                merchant.NewCustomers += 1;
            }

            merchant.Customers24h.Add(cardHash);
            Publish(merchant);
        }
        finally
        {
            merchant.Gate.Exit();
        }
    }

    /// <summary>The merchant's volume, amount level and reported fraud over 1, 7 and 30 days, and the week before the last.</summary>
    private void WriteMerchantDays(ref DayBuckets days, int day, double amount, Span<float> features)
    {
        days.Summarize(day, out var windows);
        features[Schema.FeatureSchema.MerchantCount1d] = windows.Count1d;
        features[Schema.FeatureSchema.MerchantCount7d] = windows.Count7d;
        features[Schema.FeatureSchema.MerchantCount30d] = windows.Count30d;
        features[Schema.FeatureSchema.MerchantAmountVsMean30d] = FeatureEngine.AmountVsMean(amount, windows.Amount30d, windows.Count30d);
        features[Schema.FeatureSchema.MerchantFraudRate1d] = SmoothedRate(windows.Marked1d, windows.Count1d);
        features[Schema.FeatureSchema.MerchantFraudRate7d] = SmoothedRate(windows.Marked7d, windows.Count7d);
        features[Schema.FeatureSchema.MerchantFraudRate30d] = SmoothedRate(windows.Marked30d, windows.Count30d);
        features[Schema.FeatureSchema.MerchantFraudRate7dLag7] = SmoothedRate(windows.MarkedLag7, windows.CountLag7);
    }

    // The same prior as the decayed rate, so a new merchant reads the prior, not 0/0.
    private float SmoothedRate(int frauds, int transactions) =>
        (float)((frauds + (Options.PriorWeight * Options.PriorRate)) / (transactions + Options.PriorWeight));

    internal void PrefetchDevice(ulong deviceHash) => _devices.Prefetch(deviceHash);

    /// <summary>Distinct cards seen on the device in the 24 h before <paramref name="now"/>, then records this card.</summary>
    internal float ReadAndUpdateDevice(ulong deviceHash, long now, ulong cardHash) => _devices.ReadAndUpdate(deviceHash, now, cardHash);

    /// <summary>Amount against the category's mean before this transaction (NaN when the category is new), then updates it.</summary>
    internal static float ReadAndUpdateCategory(CategoryNode category, long now, double amount)
    {
        category.Gate.Enter();
        try
        {
            var ratio = category.Count > 0 && category.Mean > 0 ? (float)(amount / category.Mean) : float.NaN;
            var weight = Math.Min(category.Count + 1, CategoryNode.MaxWeight);
            category.Mean += (amount - category.Mean) / weight;
            category.Count++;
            category.LastTicks = Math.Max(now, category.LastTicks);
            return ratio;
        }
        finally
        {
            category.Gate.Exit();
        }
    }

    /// <summary>Counts an update and, once per sweep interval, expires idle nodes (amortised, off by one thread at a time).</summary>
    internal void NoteUpdate(long now)
    {
        if ((Interlocked.Increment(ref _updates) & _sweepMask) != 0)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _sweeping, 1, 0) != 0)
        {
            return;
        }

        try
        {
            ExpireIdle(new DateTime(now, DateTimeKind.Utc));
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    /// <summary>
    /// Two hops: a fraud on this card raises the compromise share of every merchant the card had used
    /// before the fraudulent transaction (within the lookback), once per card per lookback.
    /// </summary>
    private void PropagateToEarlierMerchants(CardState card, long fraudTxTicks, long now)
    {
        var merchants = new MerchantNode?[CardState.MerchantSlots];
        var count = 0;
        lock (card)
        {
            if (fraudTxTicks > card.FraudReportedTicks)
            {
                card.FraudReportedTicks = fraudTxTicks;
            }

            if (card.ReportedTicks != long.MinValue && fraudTxTicks - card.ReportedTicks < _lookbackTicks)
            {
                return;
            }

            card.ReportedTicks = fraudTxTicks;

            // The card's engine may be writing its visits right now: read them under its seqlock,
            // again if the version was odd or moved (each read is acquire, so none slips past the check).
            int version;
            do
            {
                count = 0;
                version = card.VisitsVersion;
                var visitCount = Math.Min(Volatile.Read(ref card.VisitCount), CardState.MerchantSlots);
                for (var i = 0; i < visitCount; i++)
                {
                    ref var visit = ref card.Visits[i];
                    var node = Volatile.Read(ref visit.Node);
                    if (node is not null && Volatile.Read(ref visit.FirstTicks) < fraudTxTicks
                        && Volatile.Read(ref visit.LastTicks) >= fraudTxTicks - _lookbackTicks)
                    {
                        merchants[count] = node;
                        count++;
                    }
                }
            }
            while ((version & 1) != 0 || card.VisitsVersion != version);
        }

        for (var i = 0; i < count; i++)
        {
            var merchant = merchants[i]!;
            merchant.Gate.Enter();
            try
            {
                Decay(merchant, now);
                merchant.CompromisedCustomers += 1;
                Publish(merchant);
            }
            finally
            {
                merchant.Gate.Exit();
            }
        }
    }

    private void Decay(MerchantNode merchant, long now)
    {
        if (merchant.LastTicks == long.MinValue)
        {
            merchant.LastTicks = now;
            return;
        }

        if (now <= merchant.LastTicks)
        {
            return;
        }

        var elapsed = now - merchant.LastTicks;
        var fraudFactor = Math.Exp(-elapsed / _fraudDecayTicks);
        var compromiseFactor = Math.Exp(-elapsed / _compromiseDecayTicks);
        merchant.Transactions *= fraudFactor;
        merchant.Frauds *= fraudFactor;
        merchant.NewCustomers *= compromiseFactor;
        merchant.CompromisedCustomers *= compromiseFactor;
        merchant.LastTicks = now;
    }

    private void Publish(MerchantNode merchant)
    {
        var prior = Options.PriorWeight;
        var rate = Options.PriorRate;
        merchant.FraudRate = (merchant.Frauds + (prior * rate)) / (merchant.Transactions + prior);
        merchant.CompromiseShare = (merchant.CompromisedCustomers + (prior * rate)) / (merchant.NewCustomers + prior);
    }
}
