using System.Runtime.CompilerServices;
using FraudStream.Features.Checkpoints;

namespace FraudStream.Features.Engine;

/// <summary>One UTC day of a card or node: how many transactions and their amount sum.</summary>
internal struct DayBucket
{
    public int Day;
    public int Count;
    public double AmountSum;
}

[InlineArray(DayBuckets.Slots)]
internal struct DayBucketRing
{
    private DayBucket _element;
}

/// <summary>
/// Counts and amount sums per UTC day over the last <see cref="MaxDays"/> days, in a fixed ring (no history scan, no
/// allocation): day d lives in slot d mod <see cref="Slots"/> and a slot still holding an older day is cleared when its
/// new day arrives. Days never go backwards here (the caller clamps, as for <see cref="SlidingWindows"/>). A window of
/// N days at day d holds days d-N+1 … d. 16 bytes a slot, 512 bytes a ring. Read before <see cref="Add"/> to exclude
/// the current transaction. A struct held inline; always used by reference.
/// </summary>
internal struct DayBuckets
{
    public const int Slots = 32;

    /// <summary>The longest window that can be asked for (the ring keeps two spare slots).</summary>
    public const int MaxDays = 30;

    private const int Mask = Slots - 1;

    private DayBucketRing _ring;

    public static int DayOf(long ticks) => (int)(ticks / TimeSpan.TicksPerDay);

    public void Add(int day, double amount)
    {
        ref var slot = ref _ring[day & Mask];
        if (slot.Day != day || slot.Count == 0)
        {
            slot.Day = day;
            slot.Count = 0;
            slot.AmountSum = 0;
        }

        slot.Count++;
        slot.AmountSum += amount;
    }

    /// <summary>Count and amount sum over the <paramref name="days"/> days ending with <paramref name="day"/> (1 … <see cref="MaxDays"/>).</summary>
    public readonly void Window(int day, int days, out int count, out double amountSum)
    {
        var first = day - Math.Clamp(days, 1, MaxDays) + 1;
        count = 0;
        amountSum = 0;
        for (var i = 0; i < Slots; i++)
        {
            ref readonly var slot = ref _ring[i];
            if (slot.Count > 0 && slot.Day >= first && slot.Day <= day)
            {
                count += slot.Count;
                amountSum += slot.AmountSum;
            }
        }
    }

    /// <summary>Transactions on the same weekday as <paramref name="day"/> over the 4 weeks ending with it (days d, d-7, d-14, d-21).</summary>
    public readonly int SameWeekdayCount(int day)
    {
        var count = 0;
        for (var back = 0; back < 28; back += 7)
        {
            ref readonly var slot = ref _ring[(day - back) & Mask];
            if (slot.Count > 0 && slot.Day == day - back)
            {
                count += slot.Count;
            }
        }

        return count;
    }

    /// <summary>The non-empty slots in slot order (the same state always gives the same bytes).</summary>
    public readonly void WriteCheckpoint(ref CheckpointWriter writer)
    {
        var used = 0;
        for (var i = 0; i < Slots; i++)
        {
            if (_ring[i].Count > 0)
            {
                used++;
            }
        }

        writer.WriteCount(used);
        for (var i = 0; i < Slots; i++)
        {
            ref readonly var slot = ref _ring[i];
            if (slot.Count > 0)
            {
                writer.WriteVarInt(slot.Day);
                writer.WriteCount(slot.Count);
                writer.WriteDouble(slot.AmountSum);
            }
        }
    }

    public static DayBuckets ReadCheckpoint(ref CheckpointReader reader)
    {
        var buckets = default(DayBuckets);
        var used = reader.ReadCount(Slots);
        var previousSlot = -1;
        for (var n = 0; n < used; n++)
        {
            var day = reader.ReadVarInt();
            if (day is < 0 or > int.MaxValue)
            {
                CheckpointReader.ThrowMalformed("a day bucket's day is out of range");
            }

            var slotIndex = (int)day & Mask;
            if (slotIndex <= previousSlot)
            {
                CheckpointReader.ThrowMalformed("day buckets are not in slot order");
            }

            previousSlot = slotIndex;
            var count = reader.ReadCount();
            if (count == 0)
            {
                CheckpointReader.ThrowMalformed("an empty day bucket was written");
            }

            ref var slot = ref buckets._ring[slotIndex];
            slot.Day = (int)day;
            slot.Count = count;
            slot.AmountSum = reader.ReadDouble();
        }

        return buckets;
    }
}
