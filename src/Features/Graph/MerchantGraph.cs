using FraudStream.Core.Contracts;
using FraudStream.Features.Common;
using FraudStream.Features.Engine;

namespace FraudStream.Features.Graph;

/// <summary>
/// The cards–merchants–devices graph shared by every <see cref="FeatureEngine"/> of a process. Safe for
/// concurrent use: each merchant, category, device segment and index stripe has its own gate (an
/// inline spin lock); node lookups take none; there is no process-wide lock. Labels are applied with <see cref="ApplyLabel"/> in reported-at order and take
/// effect at once; callers must apply a label only once its reported time has come (see
/// <see cref="Replay.FeatureReplay"/>), which is what keeps labels from leaking into earlier features.
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

    public MerchantGraph(FeatureOptions? options = null)
    {
        Options = options ?? new FeatureOptions();
        _index = new TransactionIndex(Options.LabelIndexCapacity);
        _fraudDecayTicks = Options.FraudRateDecay.Ticks;
        _compromiseDecayTicks = Options.CompromiseDecay.Ticks;
        _lookbackTicks = Options.CompromiseLookback.Ticks;
        _idleTicks = Options.GraphIdleTtl.Ticks;
        _sweepMask = (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, Options.GraphSweepInterval)) - 1;
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
            Publish(merchant);
        }
        finally
        {
            merchant.Gate.Exit();
        }

        PropagateToEarlierMerchants(card, txTicks, now);
        return true;
    }

    /// <summary>Removes merchants, devices and categories idle since before <paramref name="now"/> minus the TTL.</summary>
    public int ExpireIdle(DateTime now)
    {
        var cutoff = now.Ticks - _idleTicks;
        return _merchants.RemoveIdle(cutoff) + _devices.RemoveIdle(cutoff) + _categories.RemoveIdle(cutoff);
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
        MerchantNode merchant, long now, ulong cardHash, bool newCustomer,
        out float fraudRate, out float degree24h, out float compromiseShare)
    {
        merchant.Gate.Enter();
        try
        {
            now = Math.Max(now, merchant.LastTicks);
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
