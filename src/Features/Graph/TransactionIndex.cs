using FraudStream.Features.Checkpoints;
using FraudStream.Features.Common;
using FraudStream.Features.Engine;

namespace FraudStream.Features.Graph;

/// <summary>
/// Bounded id → (card, merchant, time) index of recent transactions, so a label (which carries only
/// the transaction id) can find what it is about. Striped by id hash, each stripe a FIFO ring with
/// hash chains and its own gate (an inline spin lock): no lock is shared by all writers, nothing allocates after start.
/// The oldest entry of a stripe is overwritten when it is full. Recording only appends to the ring;
/// entries are linked into their hash chains in a batch by the next lookup (labels are far rarer
/// than transactions, and a batch overlaps its cache misses where one insert per transaction waits
/// on a cold bucket each time).
/// </summary>
internal sealed class TransactionIndex
{
    private const int StripeCount = 64;
    private readonly Stripe[] _stripes = new Stripe[StripeCount];

    public TransactionIndex(int capacity)
    {
        var perStripe = Math.Max(16, capacity / StripeCount);
        for (var i = 0; i < StripeCount; i++)
        {
            _stripes[i] = new Stripe(perStripe);
        }
    }

    public long Capacity => (long)_stripes[0].Capacity * StripeCount;

    public long ApproximateBytes => _stripes[0].ApproximateBytes * StripeCount;

    /// <summary>Starts loading the ring slot the next record of an id hashing to <paramref name="idHash"/> goes to. No lock: only a hint.</summary>
    public void Prefetch(ulong idHash) => _stripes[(int)(idHash >> 58)].Prefetch();

    /// <summary>Records a transaction by its id's hash (<see cref="StableHash.Of"/>, as lookups use).</summary>
    public void Record(ulong idHash, CardState card, MerchantNode merchant, long ticks)
    {
        var hash = idHash;
        var stripe = _stripes[(int)(hash >> 58)];
        stripe.Gate.Enter();
        try
        {
            stripe.Insert(hash, card, merchant, ticks);
        }
        finally
        {
            stripe.Gate.Exit();
        }
    }

    public bool TryFind(string id, out CardState? card, out MerchantNode? merchant, out long ticks)
    {
        var hash = StableHash.Of(id);
        var stripe = _stripes[(int)(hash >> 58)];
        stripe.Gate.Enter();
        try
        {
            return stripe.TryFind(hash, out card, out merchant, out ticks);
        }
        finally
        {
            stripe.Gate.Exit();
        }
    }

    /// <summary>
    /// Each stripe's entries still in its ring, oldest first. A lookup finds the newest of those with the id, so
    /// these entries and the sequence number are all of a stripe's state that shows; the chains are relinked by the
    /// first lookup after a restore, as after any insert.
    /// </summary>
    public void WriteCheckpoint(ref CheckpointWriter writer, ReferenceWriter references)
    {
        writer.WriteCount(StripeCount);
        foreach (var stripe in _stripes)
        {
            stripe.WriteCheckpoint(ref writer, references);
        }
    }

    /// <summary>The groups of stripes <see cref="CaptureInto"/> copies, each on any thread.</summary>
    public const int CaptureGroups = 8;

    /// <summary>
    /// Copies one of the <see cref="CaptureGroups"/> groups of stripes — each stripe's live entries and sequence number,
    /// its arrays reused from one capture to the next — into <paramref name="snapshot"/>: with every group copied,
    /// <see cref="Snapshot.Write"/> writes what <see cref="WriteCheckpoint"/> would have written now. Groups touch disjoint
    /// stripes, so threads may copy them at once. Only while nothing records or looks up (the barrier; a lookup relinks
    /// chains, which are not copied).
    /// </summary>
    public void CaptureInto(Snapshot snapshot, int group)
    {
        const int perGroup = StripeCount / CaptureGroups;
        for (var i = group * perGroup; i < (group + 1) * perGroup; i++)
        {
            _stripes[i].CaptureInto(ref snapshot.Entries[i], ref snapshot.NextSeq[i], ref snapshot.Sources[i]);
        }

        snapshot.Capacity = _stripes[0].Capacity;
    }

    /// <summary>
    /// Gives <paramref name="snapshot"/> its copy of every stripe now, with each page written once: the first captures,
    /// while the index fills, then copy into memory already mapped instead of faulting in fresh pages under the barrier
    /// (8-30 ms for 200,000 entries on the 2-core box; under 1 ms once mapped). Only while no capture runs.
    /// </summary>
    public void PrepareSnapshot(Snapshot snapshot)
    {
        var capacity = _stripes[0].Capacity;
        var stride = Math.Max(1, Environment.SystemPageSize / System.Runtime.CompilerServices.Unsafe.SizeOf<Entry>());
        for (var i = 0; i < StripeCount; i++)
        {
            var entries = snapshot.Entries[i];
            if (entries is not null && entries.Length == capacity)
            {
                continue;
            }

            entries = new Entry[capacity];
            for (var slot = 0; slot < entries.Length; slot += stride)
            {
                entries[slot] = default;
            }

            snapshot.Entries[i] = entries;
            snapshot.Sources[i] = null; // copied whole at the next capture
        }
    }

    /// <summary>A private copy of the index's entries (see <see cref="CaptureInto"/>); references still name the live cards and merchants.</summary>
    internal sealed class Snapshot
    {
        public readonly Entry[][] Entries = new Entry[StripeCount][];
        public readonly long[] NextSeq = new long[StripeCount];
        public readonly object?[] Sources = new object?[StripeCount]; // the stripe each copy was taken from
        public int Capacity;

        public long CopiedBytes
        {
            get
            {
                long bytes = 0;
                foreach (var entries in Entries)
                {
                    bytes += (entries?.Length ?? 0) * (long)System.Runtime.CompilerServices.Unsafe.SizeOf<Entry>();
                }

                return bytes;
            }
        }

        public void Write(ref CheckpointWriter writer, ReferenceWriter references)
        {
            writer.WriteCount(StripeCount);
            for (var i = 0; i < StripeCount; i++)
            {
                Stripe.WriteEntries(ref writer, references, Entries[i], Capacity, NextSeq[i]);
            }
        }
    }

    /// <summary>
    /// Fills an empty index from <see cref="WriteCheckpoint"/>'s bytes. With a smaller capacity than the writer's,
    /// each stripe keeps its newest entries, as it would have had it been that small all along.
    /// </summary>
    public void ReadCheckpoint(ref CheckpointReader reader, ReferenceReader references)
    {
        if (reader.ReadCount() != StripeCount)
        {
            CheckpointReader.ThrowMalformed("the label index has another number of stripes");
        }

        foreach (var stripe in _stripes)
        {
            stripe.ReadCheckpoint(ref reader, references);
        }
    }

    /// <summary>
    /// A FIFO ring of entries with hash chains linked by sequence number: a link is valid only while
    /// the slot it names still holds that sequence, so overwriting the oldest entry needs no unlinking
    /// (chains run newest to oldest, so the first stale link ends the walk). An insert touches only the
    /// next ring slot; a lookup first links what was inserted since the last one, in sequence order, so
    /// the chains are exactly those eager linking would have built (entries overwritten before being
    /// linked could not have been found either).
    /// </summary>
    private sealed class Stripe
    {
        private readonly Entry[] _entries;
        private readonly long[] _buckets;
        private readonly int _bucketMask;
        private long _nextSeq;
        private long _linkedSeq; // entries before this sequence are in their chains
        private int _nextSlot; // _nextSeq % Capacity, kept without dividing

        public Stripe(int capacity)
        {
            Capacity = capacity;
            _entries = new Entry[capacity];
            var buckets = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
            _buckets = new long[buckets];
            _bucketMask = buckets - 1;
            Array.Fill(_buckets, -1L);
            for (var i = 0; i < capacity; i++)
            {
                _entries[i].Seq = -1;
            }
        }

        public SpinGate Gate; // a field: used in place

        public int Capacity { get; }

        public long ApproximateBytes => 64 + (Capacity * 48L) + (_buckets.Length * 8L);

        public void Prefetch() => Common.Prefetch.Line(in _entries[_nextSlot]);

        public void Insert(ulong hash, CardState card, MerchantNode merchant, long ticks)
        {
            var seq = _nextSeq++;
            ref var entry = ref _entries[_nextSlot];
            _nextSlot = _nextSlot + 1 == Capacity ? 0 : _nextSlot + 1;
            entry.Id = hash;
            entry.Card = card;
            entry.Merchant = merchant;
            entry.Ticks = ticks;
            entry.Seq = seq;
        }

        public bool TryFind(ulong hash, out CardState? card, out MerchantNode? merchant, out long ticks)
        {
            LinkPending();
            var link = _buckets[(int)(hash & (ulong)_bucketMask)];
            while (link >= 0)
            {
                ref var entry = ref _entries[(int)(link % Capacity)];
                if (entry.Seq != link)
                {
                    break; // overwritten: everything further down the chain is older still
                }

                if (entry.Id == hash)
                {
                    card = entry.Card;
                    merchant = entry.Merchant;
                    ticks = entry.Ticks;
                    return true;
                }

                link = entry.Next;
            }

            card = null;
            merchant = null;
            ticks = 0;
            return false;
        }

        public void WriteCheckpoint(ref CheckpointWriter writer, ReferenceWriter references) =>
            WriteEntries(ref writer, references, _entries, Capacity, _nextSeq);

        /// <summary>
        /// Brings <paramref name="copy"/> up to the ring's state. An entry changes only when it is recorded (a lookup
        /// relinks chains, which are not written), so a copy of this stripe taken at <paramref name="copiedSeq"/> needs
        /// only the entries recorded since; any other copy takes the live entries whole.
        /// </summary>
        public void CaptureInto(ref Entry[] copy, ref long copiedSeq, ref object? source)
        {
            var from = copiedSeq;
            if (copy is null || copy.Length != Capacity || !ReferenceEquals(source, this) || from > _nextSeq)
            {
                copy = copy is not null && copy.Length == Capacity ? copy : new Entry[Capacity];
                from = 0;
            }

            from = Math.Max(from, _nextSeq - Capacity);
            var slot = (int)(from % Capacity);
            var count = (int)(_nextSeq - from);
            var head = Math.Min(count, Capacity - slot);
            Array.Copy(_entries, slot, copy, slot, head);
            Array.Copy(_entries, 0, copy, 0, count - head);
            copiedSeq = _nextSeq;
            source = this;
        }

        /// <summary>The entries still in a ring of <paramref name="capacity"/> slots that recorded up to <paramref name="nextSeq"/>, oldest first.</summary>
        public static void WriteEntries(ref CheckpointWriter writer, ReferenceWriter references, Entry[] entries, int capacity, long nextSeq)
        {
            var live = (int)Math.Min(nextSeq, capacity);
            writer.WriteVarInt(nextSeq);
            writer.WriteCount(live);
            var previousTicks = 0L;
            for (var seq = nextSeq - live; seq < nextSeq; seq++)
            {
                ref readonly var entry = ref entries[(int)(seq % capacity)];
                writer.WriteUInt64(entry.Id);
                writer.WriteVarInt(unchecked(entry.Ticks - previousTicks)); // nearly in time order: short
                previousTicks = entry.Ticks;
                references.WriteIndexedCard(ref writer, entry.Card!);
                references.WriteMerchant(ref writer, entry.Merchant, 0);
            }
        }

        public void ReadCheckpoint(ref CheckpointReader reader, ReferenceReader references)
        {
            var nextSeq = reader.ReadVarInt();
            var live = reader.ReadLength();
            if (nextSeq < 0 || live > nextSeq)
            {
                CheckpointReader.ThrowMalformed("a label index stripe holds more entries than it ever recorded");
            }

            var kept = Math.Min(live, Capacity);
            var previousTicks = 0L;
            for (var seq = nextSeq - live; seq < nextSeq; seq++)
            {
                var id = reader.ReadUInt64();
                var ticks = unchecked(previousTicks + reader.ReadVarInt());
                previousTicks = ticks;
                var card = references.ReadIndexedCard(ref reader);
                var merchant = references.ReadMerchant(ref reader, 0);
                if (seq < nextSeq - kept)
                {
                    continue; // older than this capacity keeps (read all the same: later entries may refer back)
                }

                ref var entry = ref _entries[(int)(seq % Capacity)];
                entry.Id = id;
                entry.Ticks = ticks;
                entry.Card = card;
                entry.Merchant = merchant;
                entry.Seq = seq;
            }

            _nextSeq = nextSeq;
            _nextSlot = (int)(nextSeq % Capacity);
            _linkedSeq = nextSeq - kept;
        }

        private void LinkPending()
        {
            var seq = Math.Max(_linkedSeq, _nextSeq - Capacity);
            for (; seq < _nextSeq; seq++)
            {
                ref var entry = ref _entries[(int)(seq % Capacity)];
                ref var head = ref _buckets[(int)(entry.Id & (ulong)_bucketMask)];
                entry.Next = head;
                head = seq;
            }

            _linkedSeq = _nextSeq;
        }

    }

    internal struct Entry
    {
        public ulong Id;
        public long Ticks;
        public long Seq;
        public long Next;
        public CardState? Card;
        public MerchantNode? Merchant;
    }
}
