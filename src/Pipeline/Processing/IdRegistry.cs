using System.Numerics;
using System.Runtime.CompilerServices;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// Recent transaction ids of every partition this instance reads (decided or followed), with the partition each was
/// read from, shared by all workers: an id reused on another card — so on another partition and often another
/// worker, whose own <see cref="DuplicateWindow"/> never saw it — is caught as a conflict instead of being decided a
/// second time. A lossy recency cache: 4-way buckets of one 64-bit word per id (44 bits of the id's hash, 20 of its
/// partition), each bucket newest first, written without a lock, so it takes none and allocates nothing per transaction. An id falls
/// out once about <c>capacity</c> newer ids have passed; two uses of one id arriving on two workers within the same
/// microseconds can both pass (the store then keeps the first).
/// </summary>
internal sealed class IdRegistry
{
    private const int Ways = 4;
    private const int PartitionBits = 20;
    private const ulong PartitionMask = (1UL << PartitionBits) - 1;

    private readonly ulong[] _entries;
    private readonly int _bucketMask;

    public IdRegistry(int capacity)
    {
        var buckets = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(Ways, capacity / Ways));
        _entries = new ulong[buckets * Ways];
        _bucketMask = buckets - 1;
    }

    /// <summary>
    /// Records <paramref name="id"/> as read from <paramref name="partition"/>; false when it was recorded recently from
    /// another partition (the earlier record is kept).
    /// </summary>
    public bool TryRecord(string id, int partition)
    {
        var hash = Hash(id);
        var tag = hash & ~PartitionMask;
        var entry = tag | ((ulong)partition & PartitionMask);
        if (entry == 0)
        {
            entry = 1UL << PartitionBits; // 0 marks an empty way
        }

        var start = (int)(hash & (uint)_bucketMask) * Ways;
        for (var way = 0; way < Ways; way++)
        {
            var current = Volatile.Read(ref _entries[start + way]);
            if (current == 0)
            {
                break;
            }

            if ((current & ~PartitionMask) == tag)
            {
                return current == entry;
            }
        }

        // Newest first: the bucket's oldest id leaves. Two writers in one bucket at once may lose one record (lossy by design).
        for (var way = Ways - 1; way > 0; way--)
        {
            Volatile.Write(ref _entries[start + way], Volatile.Read(ref _entries[start + way - 1]));
        }

        Volatile.Write(ref _entries[start], entry);
        return true;
    }

    /// <summary>FNV-1a over the UTF-16 code units, then a final mix so the bucket bits and the tag bits both spread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Hash(string id)
    {
        var h = 14695981039346656037UL;
        foreach (var c in id)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        return h;
    }
}
