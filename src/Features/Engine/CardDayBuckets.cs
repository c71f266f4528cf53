using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using FraudStream.Features.Checkpoints;

namespace FraudStream.Features.Engine;

/// <summary>One UTC day of a card: its transactions and their amount sum. Which day it is follows from the slot and the ring's latest day.</summary>
internal struct CardDay
{
    // An int, not a saturating ushort: 8 bytes a slot either way, and no count to cap.
    public int Count;

    // As in DayBucket: a float, added in the same order, so the sums are the same bits.
    public float AmountSum;
}

[InlineArray(CardDayBuckets.Slots)]
internal struct CardDayRing
{
    private CardDay _element;
}

/// <summary>
/// A card's transactions and amount sums per UTC day over the last <see cref="MaxDays"/> days: the windows of
/// <see cref="DayBuckets"/>, in 8-byte slots instead of 16 (256 bytes a ring, and the latest day: <see cref="Bytes"/>).
/// No reported-fraud count (a card's reported fraud is <see cref="CardState.FraudReportedTicks"/>; only merchants mark
/// days) and no day in each slot: slot s holds the one day d in (latest − <see cref="Slots"/>, latest] with
/// d mod <see cref="Slots"/> = s, or nothing, because moving the ring to a later day empties the slots of every day
/// skipped. A day that has left the ring can therefore never be read as a recent one, however long the card was idle
/// (a 16-bit day stamp would alias after 65,536 days). Days never go backwards (the card's clock, as for
/// <see cref="SlidingWindows"/>). <see cref="Summarize"/> gives the same windows as <see cref="DayBuckets.Summarize"/>
/// over the same days, bit for bit: the same slots hold the same sums and are added in the same order. A struct held
/// inline; always used by reference.
/// </summary>
internal struct CardDayBuckets
{
    public const int Slots = DayBuckets.Slots;

    /// <summary>The longest window (the ring keeps two spare slots).</summary>
    public const int MaxDays = DayBuckets.MaxDays;

    /// <summary>Inline size: the slots and the latest day.</summary>
    public const int Bytes = (Slots * 8) + 4;

    private const int Mask = Slots - 1;

    private CardDayRing _ring;

    // The latest day added, plus one; 0 while nothing was (days of DateTime ticks are >= 0).
    private int _latestDayPlusOne;

    public readonly bool IsEmpty => _latestDayPlusOne == 0;

    /// <summary>The latest day added (meaningless while <see cref="IsEmpty"/>).</summary>
    public readonly int LatestDay => _latestDayPlusOne - 1;

    public void Add(int day, double amount)
    {
        if (day != _latestDayPlusOne - 1)
        {
            MoveTo(day);
        }

        ref var slot = ref _ring[day & Mask];
        slot.Count++;
        slot.AmountSum += (float)amount;
    }

    /// <summary>
    /// Every card window of <see cref="DayWindows"/> as of <paramref name="day"/> (the reported-fraud counts stay 0),
    /// in one pass over the ring in slot order, as <see cref="DayBuckets.Summarize"/> does.
    /// </summary>
    public readonly void Summarize(int day, out DayWindows windows)
    {
        windows = default;
        var latest = _latestDayPlusOne - 1;
        var lag = day - latest;
        if (_latestDayPlusOne == 0 || lag >= MaxDays)
        {
            return; // nothing added, or every day held is out of every window
        }

        for (var i = 0; i < Slots; i++)
        {
            ref readonly var slot = ref _ring[i];
            var age = lag + ((latest - i) & Mask);
            if (slot.Count == 0 || age < 0 || age >= MaxDays)
            {
                continue;
            }

            windows.Count30d += slot.Count;
            windows.Amount30d += slot.AmountSum;
            if (age < 28)
            {
                windows.Count28d += slot.Count;
                if (age % 7 == 0)
                {
                    windows.SameWeekday28d += slot.Count;
                }
            }

            if (age < 7)
            {
                windows.Count7d += slot.Count;
                windows.Amount7d += slot.AmountSum;
                if (age == 0)
                {
                    windows.Count1d += slot.Count;
                }
            }
            else if (age < 14)
            {
                windows.CountLag7 += slot.Count;
            }
        }
    }

    /// <summary>
    /// The days a window can still read (the latest and the <see cref="MaxDays"/> − 1 before it; older ones only wait
    /// to be emptied): a mask of them by age, the latest day as its distance back from <paramref name="referenceDay"/>
    /// (the card's clock: 0), then each day's count and sum bits, newest first. The same ring always gives the same bytes.
    /// </summary>
    public readonly void WriteCheckpoint(ref CheckpointWriter writer, int referenceDay)
    {
        var latest = _latestDayPlusOne - 1;
        var used = 0u;
        if (_latestDayPlusOne != 0)
        {
            for (var age = 0; age < MaxDays; age++)
            {
                if (_ring[(latest - age) & Mask].Count > 0)
                {
                    used |= 1u << age;
                }
            }
        }

        writer.WriteVarUInt(used);
        if (used == 0)
        {
            return;
        }

        writer.WriteVarInt((long)referenceDay - latest);
        for (var age = 0; age < MaxDays; age++)
        {
            if ((used & (1u << age)) != 0)
            {
                ref readonly var slot = ref _ring[(latest - age) & Mask];
                writer.WriteCount(slot.Count);
                writer.WriteUInt32(BitConverter.SingleToUInt32Bits(slot.AmountSum));
            }
        }
    }

    /// <summary>A ring from <see cref="WriteCheckpoint"/>'s bytes; one that holds no day a window can read restores empty, as it reads.</summary>
    public static CardDayBuckets ReadCheckpoint(ref CheckpointReader reader, int referenceDay)
    {
        var buckets = default(CardDayBuckets);
        var used = reader.ReadVarUInt();
        if (used >= 1ul << MaxDays)
        {
            CheckpointReader.ThrowMalformed("a card's day ring names a day outside its window");
        }

        if (used == 0)
        {
            return buckets;
        }

        var latest = referenceDay - reader.ReadVarInt();
        if (latest is < 0 or >= int.MaxValue)
        {
            CheckpointReader.ThrowMalformed("a card's latest day is out of range");
        }

        buckets._latestDayPlusOne = (int)latest + 1;
        for (var age = 0; age < MaxDays; age++)
        {
            if ((used & (1ul << age)) == 0)
            {
                continue;
            }

            var count = reader.ReadCount();
            if (count == 0)
            {
                CheckpointReader.ThrowMalformed("an empty day of a card was written");
            }

            ref var slot = ref buckets._ring[(int)(latest - age) & Mask];
            slot.Count = count;
            slot.AmountSum = BitConverter.UInt32BitsToSingle(reader.ReadUInt32());
        }

        return buckets;
    }

    // A later day: the slots of the days skipped (and of the new one) are emptied; older days left there are out of
    // every window from now on, and emptying them is what lets a slot hold no day stamp.
    private void MoveTo(int day)
    {
        var latest = _latestDayPlusOne - 1;
        if (_latestDayPlusOne != 0 && day < latest)
        {
            ThrowBackwards(day, latest);
        }

        if (_latestDayPlusOne == 0 || day - latest >= Slots)
        {
            _ring = default;
        }
        else
        {
            for (var d = latest + 1; d <= day; d++)
            {
                _ring[d & Mask] = default;
            }
        }

        _latestDayPlusOne = day + 1;
    }

    [DoesNotReturn]
    private static void ThrowBackwards(int day, int latest) =>
        throw new InvalidOperationException($"day {day} is before the ring's latest day {latest}: a card's days never go backwards");
}
