using FraudStream.Features.Checkpoints;

namespace FraudStream.Features.Graph;

/// <summary>
/// One merchant in the graph. Updated by every engine whose cards shop there and by label
/// application, always under its own <see cref="Gate"/>; the derived rates are also published as
/// plain doubles so a card can read its merchants' shares without taking their locks.
/// </summary>
public sealed class MerchantNode : IGraphNode
{
    internal MerchantNode(ulong hash) => Hash = hash;

    /// <summary>Hash of the merchant id (<see cref="Common.StableHash.OfId"/>; what cards remember it by).</summary>
    internal ulong Hash { get; private set; }

    // Fields: the gate and the counter are structs held inline and used in place.
    internal Common.SpinGate Gate;

    internal HourlyDistinctCounter Customers24h = new();

    /// <summary>Transactions, amounts and reported frauds per day (frauds on the day of the transaction, once reported).</summary>
    internal Engine.DayBuckets Days;

    /// <summary>Latest event time applied (ticks); decay runs from here.</summary>
    internal long LastTicks { get; set; } = long.MinValue;

    /// <summary>
    /// 0 while the graph holds the node; once expired, a number unique in the graph: cards' visits and the label
    /// index may still point here, and checkpoints written apart (the graph's, each engine's) name it by this.
    /// </summary>
    internal long OrphanId { get; set; }

    // Exponentially decayed counters.
    internal double Transactions { get; set; }

    internal double Frauds { get; set; }

    internal double NewCustomers { get; set; }

    internal double CompromisedCustomers { get; set; }

    private double _fraudRate;
    private double _compromiseShare;

    public double FraudRate
    {
        get => Volatile.Read(ref _fraudRate);
        internal set => Volatile.Write(ref _fraudRate, value);
    }

    public double CompromiseShare
    {
        get => Volatile.Read(ref _compromiseShare);
        internal set => Volatile.Write(ref _compromiseShare, value);
    }

    /// <summary>Starts loading the node's counters and what its distinct counter touches in <paramref name="hour"/>.</summary>
    internal void Prefetch(long hour)
    {
        Common.Prefetch.Object(this, 128); // counters and published rates
        Customers24h.Prefetch(hour);
    }

    /// <summary>Starts loading the published rates (what a card reads of the merchants it visited).</summary>
    internal void PrefetchShares() => Common.Prefetch.Line(in _compromiseShare);

    ulong IGraphNode.Hash => Hash;

    long IGraphNode.LastTicks => LastTicks;

    internal static long ApproximateBytes => 120 + HourlyDistinctCounter.ApproximateBytes + 24 + (Engine.DayBuckets.Slots * 16);

    /// <summary>
    /// Makes this private copy (of a snapshot) equal to <paramref name="source"/> in everything its checkpoint holds,
    /// the sketch by value. Only while nothing updates the source (the barrier: no engine runs, no label is applied).
    /// </summary>
    internal void CopyStateFrom(MerchantNode source)
    {
        Hash = source.Hash;
        Customers24h = source.Customers24h;
        Days = source.Days;
        LastTicks = source.LastTicks;
        OrphanId = source.OrphanId;
        Transactions = source.Transactions;
        Frauds = source.Frauds;
        NewCustomers = source.NewCustomers;
        CompromisedCustomers = source.CompromisedCustomers;
        _fraudRate = source._fraudRate;
        _compromiseShare = source._compromiseShare;
    }

    /// <summary>The counters, the published rates and the distinct-customer sketch, bit for bit (not the orphan id: the reference carries it).</summary>
    internal void WriteCheckpoint(ref CheckpointWriter writer)
    {
        writer.WriteUInt64(Hash);
        writer.WriteInt64(LastTicks);
        writer.WriteDouble(Transactions);
        writer.WriteDouble(Frauds);
        writer.WriteDouble(NewCustomers);
        writer.WriteDouble(CompromisedCustomers);
        writer.WriteDouble(_fraudRate);
        writer.WriteDouble(_compromiseShare);
        Customers24h.WriteCheckpoint(ref writer);
        Days.WriteCheckpoint(ref writer);
    }

    internal static MerchantNode ReadCheckpoint(ref CheckpointReader reader)
    {
        var node = new MerchantNode(reader.ReadUInt64())
        {
            LastTicks = reader.ReadInt64(),
            Transactions = reader.ReadDouble(),
            Frauds = reader.ReadDouble(),
            NewCustomers = reader.ReadDouble(),
            CompromisedCustomers = reader.ReadDouble(),
            FraudRate = reader.ReadDouble(),
            CompromiseShare = reader.ReadDouble(),
        };
        node.Customers24h.ReadCheckpoint(ref reader);
        node.Days = Engine.DayBuckets.ReadCheckpoint(ref reader);
        return node;
    }
}

/// <summary>The norm of a merchant category: running mean amount over all cards.</summary>
internal sealed class CategoryNode(ulong hash) : IGraphNode
{
    /// <summary>Past this many observations the mean becomes an exponential average that keeps adapting.</summary>
    public const long MaxWeight = 10_000;

    public ulong Hash { get; private set; } = hash;

    public Common.SpinGate Gate; // a field: used in place

    public long Count { get; set; }

    public double Mean { get; set; }

    public long LastTicks { get; set; } = long.MinValue;

    /// <summary>Makes this private copy (of a snapshot) equal to <paramref name="source"/>; only while nothing updates the source.</summary>
    public void CopyStateFrom(CategoryNode source)
    {
        Hash = source.Hash;
        Count = source.Count;
        Mean = source.Mean;
        LastTicks = source.LastTicks;
    }

    public void WriteCheckpoint(ref CheckpointWriter writer)
    {
        writer.WriteUInt64(Hash);
        writer.WriteVarInt(Count);
        writer.WriteDouble(Mean);
        writer.WriteInt64(LastTicks);
    }

    public static CategoryNode ReadCheckpoint(ref CheckpointReader reader) => new(reader.ReadUInt64())
    {
        Count = reader.ReadVarInt(),
        Mean = reader.ReadDouble(),
        LastTicks = reader.ReadInt64(),
    };
}
