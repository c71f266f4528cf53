namespace FraudStream.Features.Graph;

/// <summary>A graph node as its table sees it: the key's stable hash, and the latest activity for expiry.</summary>
internal interface IGraphNode
{
    ulong Hash { get; }

    long LastTicks { get; }
}

/// <summary>
/// The graph's nodes of one kind, keyed by the id's stable 64-bit hash and shared by every engine.
/// Open addressing with linear probing over (hash, node) slots: a lookup reads one slot, then the node,
/// and never hashes or compares a string. Lookups take no lock; adding and expiry take the table's
/// lock and publish a slot's node only after its hash, so a reader that sees the node sees its hash.
/// A reader that misses (even on a table that was just replaced) falls back to the locked add, which
/// looks again in the current table, so a key never gets two nodes.
/// </summary>
internal sealed class NodeTable<TNode>
    where TNode : class, IGraphNode
{
    private const int InitialCapacity = 64;

    private readonly Lock _writeGate = new();
    private volatile Slot[] _slots = new Slot[InitialCapacity];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public TNode? Find(ulong hash)
    {
        var slots = _slots;
        var mask = slots.Length - 1;
        for (var i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref slots[i];
            var node = Volatile.Read(ref slot.Node);
            if (node is null)
            {
                return null;
            }

            if (slot.Hash == hash)
            {
                return node;
            }
        }
    }

    public TNode GetOrAdd(ulong hash, Func<ulong, TNode> create) => Find(hash) ?? Add(hash, create);

    /// <summary>Adds a node restored from a checkpoint; false when its key is already here.</summary>
    public bool TryAdd(TNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return ReferenceEquals(GetOrAdd(node.Hash, _ => node), node);
    }

    /// <summary>Every node, ordered by key: the same nodes give the same order whatever the table's history.</summary>
    public TNode[] SortedByHash()
    {
        lock (_writeGate)
        {
            var nodes = new TNode[_count];
            var hashes = new ulong[_count];
            var n = 0;
            foreach (var slot in _slots)
            {
                if (slot.Node is not null)
                {
                    hashes[n] = slot.Hash;
                    nodes[n] = slot.Node;
                    n++;
                }
            }

            Array.Sort(hashes, nodes);
            return nodes;
        }
    }

    /// <summary>The nodes, in table order, into <paramref name="into"/> (grown as needed); returns how many.</summary>
    public int CollectNodes(ref TNode[] into)
    {
        lock (_writeGate)
        {
            if (into.Length < _count)
            {
                into = new TNode[Math.Max(_count, into.Length * 2)];
            }

            var n = 0;
            foreach (var slot in _slots)
            {
                if (slot.Node is not null)
                {
                    into[n++] = slot.Node;
                }
            }

            return n;
        }
    }

    /// <summary>
    /// Removes the nodes idle since before <paramref name="cutoff"/>; returns how many. A node never updated yet
    /// (LastTicks still MinValue) is one a worker has just created and is about to update: it stays. Each node
    /// removed is handed to <paramref name="removed"/>, if given, under the table's lock and in key order (so
    /// what it does follows the nodes, not the table's layout, which differs after a restore).
    /// </summary>
    public int RemoveIdle(long cutoff, Action<TNode>? removed = null)
    {
        lock (_writeGate)
        {
            var slots = _slots;
            var idle = 0;
            foreach (var slot in slots)
            {
                if (slot.Node is not null && IsIdle(slot.Node, cutoff))
                {
                    idle++;
                }
            }

            if (idle == 0)
            {
                return 0;
            }

            // Rebuilt rather than deleted in place: readers probing the old table are never misled.
            var survivors = new Slot[slots.Length];
            var mask = survivors.Length - 1;
            var removedCount = 0;
            var removedNodes = removed is null ? null : new List<TNode>(idle);
            foreach (var slot in slots)
            {
                if (slot.Node is null)
                {
                    continue;
                }

                if (IsIdle(slot.Node, cutoff))
                {
                    removedCount++;
                    removedNodes?.Add(slot.Node);
                    continue;
                }

                Place(survivors, mask, slot.Hash, slot.Node);
            }

            _slots = survivors;
            Volatile.Write(ref _count, _count - removedCount);
            if (removedNodes is not null)
            {
                removedNodes.Sort(static (a, b) => a.Hash.CompareTo(b.Hash));
                removedNodes.ForEach(removed!);
            }

            return removedCount;
        }
    }

    /// <summary>Appends every node's latest activity (for the cap's cutoff; sweep only, never per transaction).</summary>
    public void AddActivity(List<long> into)
    {
        foreach (var slot in _slots)
        {
            if (slot.Node is { } node && node.LastTicks != long.MinValue)
            {
                into.Add(node.LastTicks);
            }
        }
    }

    private static bool IsIdle(TNode node, long cutoff)
    {
        var last = node.LastTicks;
        return last != long.MinValue && last < cutoff;
    }

    private TNode Add(ulong hash, Func<ulong, TNode> create)
    {
        lock (_writeGate)
        {
            var existing = Find(hash);
            if (existing is not null)
            {
                return existing;
            }

            var slots = _slots;
            if ((_count + 1) * 2 > slots.Length)
            {
                slots = Grown(slots);
                _slots = slots;
            }

            var node = create(hash);
            Place(slots, slots.Length - 1, hash, node);
            Volatile.Write(ref _count, _count + 1);
            return node;
        }
    }

    private static Slot[] Grown(Slot[] slots)
    {
        var grown = new Slot[slots.Length * 2];
        var mask = grown.Length - 1;
        foreach (var slot in slots)
        {
            if (slot.Node is not null)
            {
                Place(grown, mask, slot.Hash, slot.Node);
            }
        }

        return grown;
    }

    private static void Place(Slot[] slots, int mask, ulong hash, TNode node)
    {
        var i = (int)hash & mask;
        while (slots[i].Node is not null)
        {
            i = (i + 1) & mask;
        }

        slots[i].Hash = hash;
        Volatile.Write(ref slots[i].Node, node);
    }

    private struct Slot
    {
        public ulong Hash;
        public TNode? Node;
    }
}
