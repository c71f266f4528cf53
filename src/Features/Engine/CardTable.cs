using FraudStream.Features.Checkpoints;
using FraudStream.Features.Graph;

namespace FraudStream.Features.Engine;

/// <summary>
/// One engine's cards, keyed by the card id's stable 64-bit hash. Open addressing with linear probing
/// over (hash, card) pairs, so a lookup reads one slot (one cache line) before the card itself, where
/// a <see cref="Dictionary{TKey, TValue}"/> reads its bucket array and then its entry array. Also the
/// expiry ring: every card with its latest time in a dense array, swept round robin without touching
/// the (cold) cards themselves. Single-threaded, like the engine; allocates only when it grows.
/// </summary>
internal sealed class CardTable
{
    private const int InitialCapacity = 1024;

    private Slot[] _slots = new Slot[InitialCapacity];
    private int _mask = InitialCapacity - 1;

    // The expiry ring: cards in no particular order, each with its LastTicks (kept equal by Touch).
    private CardState[] _ring = new CardState[InitialCapacity];
    private long[] _ringLastTicks = new long[InitialCapacity];

    // 1 where the card at that ring position changed since the last capture: a capture copies only those (and positions
    // whose card is another than the one copied there), so a snapshot's steady-state cost follows the transactions
    // between two checkpoints, not the number of cards.
    private byte[] _ringChanged = new byte[InitialCapacity];
    private int _count;
    private int _sweepCursor;

    public int Count => _count;

    /// <summary>The engine's latest capture (<see cref="CardState.MarkExpired"/>): 0 before the first.</summary>
    public long CaptureEpoch { get; set; }

    public ReadOnlySpan<CardState> Cards => _ring.AsSpan(0, _count);

    /// <summary>Starts loading the slot a lookup of <paramref name="hash"/> reads first.</summary>
    public void Prefetch(ulong hash) => Common.Prefetch.Line(in _slots[(int)hash & _mask]);

    public bool TryGet(ulong hash, out CardState card)
    {
        var slots = _slots;
        var mask = _mask;
        for (var i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref slots[i];
            if (slot.Card is null)
            {
                card = null!;
                return false;
            }

            if (slot.Hash == hash)
            {
                card = slot.Card;
                return true;
            }
        }
    }

    /// <summary>Adds a card not yet in the table.</summary>
    public void Add(CardState card)
    {
        if ((_count + 1) * 2 > _slots.Length)
        {
            Grow();
        }

        Place(_slots, _mask, card);
        if (_count == _ring.Length)
        {
            Array.Resize(ref _ring, _count * 2);
            Array.Resize(ref _ringLastTicks, _count * 2);
            Array.Resize(ref _ringChanged, _count * 2);
        }

        card.SweepIndex = _count;
        _ring[_count] = card;
        _ringLastTicks[_count] = card.LastTicks;
        _ringChanged[_count] = 1;
        _count++;
    }

    /// <summary>Records the card's new latest time for the sweep, and that it changed (for the next capture). Every change of a card's state ends here.</summary>
    public void Touch(CardState card, long lastTicks)
    {
        var index = card.SweepIndex;
        _ringLastTicks[index] = lastTicks;
        _ringChanged[index] = 1;
    }

    /// <summary>Checks up to <paramref name="checks"/> cards, round robin, and removes those idle since before <paramref name="cutoff"/>.</summary>
    public void ExpireSome(long cutoff, int checks)
    {
        for (var i = 0; i < checks && _count > 0; i++)
        {
            if (_sweepCursor >= _count)
            {
                _sweepCursor = 0;
            }

            if (_ringLastTicks[_sweepCursor] < cutoff)
            {
                Remove(_ring[_sweepCursor]);
            }
            else
            {
                _sweepCursor++;
            }
        }
    }

    /// <summary>
    /// Removes the card seen least recently among <paramref name="sample"/> ring entries from the sweep's position on
    /// (sampled LRU, as Redis evicts: no ordered list to keep per transaction, and deterministic, so a replay evicts the
    /// same cards). Returns the card removed.
    /// </summary>
    public CardState EvictLeastRecent(int sample)
    {
        var oldest = -1;
        var oldestTicks = long.MaxValue;
        for (var k = 0; k < sample && k < _count; k++)
        {
            var i = (_sweepCursor + k) % _count;
            if (_ringLastTicks[i] < oldestTicks)
            {
                oldestTicks = _ringLastTicks[i];
                oldest = i;
            }
        }

        var card = _ring[oldest];
        Remove(card);
        return card;
    }

    /// <summary>
    /// The cards in expiry-ring order, with the sweep's position: restored in that order, the ring and so the
    /// sweep are exactly as they were (the slot layout may differ; lookups do not depend on it).
    /// </summary>
    public void WriteCheckpoint(ref CheckpointWriter writer, ReferenceWriter references) =>
        WriteCards(ref writer, references, Cards, _sweepCursor);

    /// <summary>
    /// Brings <paramref name="copies"/> (position by position, the ring's; grown as needed and reused from one capture
    /// to the next) up to date with every card, and returns the sweep's position: what <see cref="WriteCards"/> writes
    /// later, as <see cref="WriteCheckpoint"/> would have now. A position is copied again only when its card changed
    /// since the last capture or is another card than <paramref name="sources"/> says was copied there.
    /// </summary>
    public int CaptureInto(ref CardState[] copies, ref CardState?[] sources, ref int copied)
    {
        if (copies.Length < _count)
        {
            var length = Math.Max(_count, copies.Length * 2);
            Array.Resize(ref copies, length);
            Array.Resize(ref sources, length);
        }

        var ring = _ring;
        var changed = _ringChanged;
        var copiedNow = 0;
        for (var i = 0; i < _count; i++)
        {
            var card = ring[i];
            if (changed[i] == 0 && ReferenceEquals(sources[i], card))
            {
                continue;
            }

            var copy = copies[i] ??= CardState.ForSnapshot();
            copy.CopyStateFrom(card);
            sources[i] = card;
            changed[i] = 0;
            copiedNow++;
        }

        // Positions past the ring's end no longer name a card: let go of what they held.
        Array.Clear(sources, _count, sources.Length - _count);
        copied = copiedNow;
        return _sweepCursor;
    }

    /// <summary>The cards in the order given, with the sweep's position (the format of <see cref="WriteCheckpoint"/>).</summary>
    public static void WriteCards(ref CheckpointWriter writer, ReferenceWriter references, ReadOnlySpan<CardState> cards, int sweepCursor)
    {
        writer.WriteCount(cards.Length);
        writer.WriteCount(sweepCursor);
        foreach (var card in cards)
        {
            card.WriteCheckpoint(ref writer, references, card);
        }
    }

    /// <summary>
    /// Copies of cards, with each one's label state (<see cref="CardState.ReportedTicks"/>, <see cref="CardState.FraudReportedTicks"/>) read from its live card:
    /// only labels change it, a copy is not refreshed for it, and labels wait while a snapshot is written.
    /// </summary>
    public static void WriteCopies(ref CheckpointWriter writer, ReferenceWriter references, ReadOnlySpan<CardState> copies,
        ReadOnlySpan<CardState?> sources, int sweepCursor)
    {
        writer.WriteCount(copies.Length);
        writer.WriteCount(sweepCursor);
        for (var i = 0; i < copies.Length; i++)
        {
            copies[i].WriteCheckpoint(ref writer, references, sources[i]!);
        }
    }

    /// <summary>
    /// Fills an empty table from <see cref="WriteCheckpoint"/>'s bytes. A card the graph's label index already
    /// holds (restored with the graph, waiting for its engine) is filled in place, so index and engine share it again.
    /// </summary>
    public void ReadCheckpoint(ref CheckpointReader reader, ReferenceReader references, MerchantGraph graph)
    {
        if (_count != 0)
        {
            throw new InvalidOperationException("a checkpoint is restored into an empty card table only");
        }

        var count = reader.ReadLength();
        var sweepCursor = reader.ReadCount(count);
        Reserve(count);
        for (var i = 0; i < count; i++)
        {
            var hash = reader.ReadUInt64();
            if (TryGet(hash, out _))
            {
                CheckpointReader.ThrowMalformed($"card {hash:x16} appears twice");
            }

            var card = graph.ClaimRestoredCard(hash) ?? CardState.ForRestore(hash);
            card.ReadCheckpoint(ref reader, references);
            Add(card);
        }

        _sweepCursor = sweepCursor;
    }

    /// <summary>Sizes the table for <paramref name="count"/> cards at once (a restore), instead of doubling its way there.</summary>
    private void Reserve(int count)
    {
        var slots = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(InitialCapacity, count * 2));
        if (slots > _slots.Length)
        {
            Rehash(slots);
        }

        if (count > _ring.Length)
        {
            Array.Resize(ref _ring, count);
            Array.Resize(ref _ringLastTicks, count);
            Array.Resize(ref _ringChanged, count);
        }
    }

    private void Remove(CardState card)
    {
        // Backward-shift deletion: later members of the probe run move up, so no tombstones build up.
        var slots = _slots;
        var mask = _mask;
        var hole = (int)card.Hash & mask;
        while (!ReferenceEquals(slots[hole].Card, card))
        {
            hole = (hole + 1) & mask;
        }

        for (var i = (hole + 1) & mask; slots[i].Card is not null; i = (i + 1) & mask)
        {
            var home = (int)slots[i].Hash & mask;
            if (((i - home) & mask) >= ((i - hole) & mask))
            {
                slots[hole] = slots[i];
                hole = i;
            }
        }

        slots[hole] = default;

        var last = _count - 1;
        var index = card.SweepIndex;
        _ring[index] = _ring[last];
        _ringLastTicks[index] = _ringLastTicks[last];
        _ringChanged[index] = _ringChanged[last];
        _ring[index].SweepIndex = index;
        _ring[last] = null!;
        _count = last;
        card.MarkExpired(CaptureEpoch); // the label index may still hold it: a checkpoint must tell it from an engine's card
    }

    private void Grow() => Rehash(_slots.Length * 2);

    private void Rehash(int length)
    {
        var slots = new Slot[length];
        var mask = slots.Length - 1;
        foreach (var slot in _slots)
        {
            if (slot.Card is not null)
            {
                Place(slots, mask, slot.Card);
            }
        }

        _slots = slots;
        _mask = mask;
    }

    private static void Place(Slot[] slots, int mask, CardState card)
    {
        var i = (int)card.Hash & mask;
        while (slots[i].Card is not null)
        {
            i = (i + 1) & mask;
        }

        slots[i] = new Slot(card.Hash, card);
    }

    private readonly record struct Slot(ulong Hash, CardState? Card);
}
