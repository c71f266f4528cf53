using System.Runtime.CompilerServices;
using FraudStream.Features.Checkpoints;

namespace FraudStream.Features.Engine;

/// <summary>One UTC day of a merchant: its transactions, how many of them were later reported as fraud, their amount sum.</summary>
internal struct DayBucket
{
    public int Day;
    public int Count;
    public int Marked;

    // A float keeps the slot at 16 bytes; a day's sum needs no more than its 7 digits.
    public float AmountSum;
}

[InlineArray(DayBuckets.Slots)]
internal struct DayBucketRing
{
    private DayBucket _element;
}

/// <summary>What <see cref="DayBuckets.Summarize"/> reads in one pass over the ring, each window ending with the day asked for.</summary>
internal struct DayWindows
{
    public int Count1d;
    public int Count7d;
    public int Count28d;
    public int Count30d;
    public int Marked1d;
    public int Marked7d;
    public int Marked30d;

    /// <summary>The week before the last 7 days (days d-13 … d-7): most of its fraud has been reported by now.</summary>
    public int CountLag7;

    public int MarkedLag7;

    /// <summary>Days d, d-7, d-14, d-21: the same weekday over the 4 weeks of <see cref="Count28d"/>.</summary>
    public int SameWeekday28d;

    public double Amount7d;
    public double Amount30d;
}

/// <summary>
/// A merchant's counts, reported frauds and amount sums per UTC day over the last <see cref="MaxDays"/> days (a card,
/// which needs no fraud count, has the 8-byte slots of <see cref="CardDayBuckets"/>), in a fixed ring (no
/// history scan, no allocation): day d lives in slot d mod <see cref="Slots"/> and a slot still holding an older day is
/// cleared when its new day arrives. Days never go backwards for <see cref="Add"/> (the caller clamps, as for
/// <see cref="SlidingWindows"/>); <see cref="Mark"/> reaches back to the day a transaction was counted. 16 bytes a
/// slot, 512 bytes a ring. Read before <see cref="Add"/> to exclude the current transaction. A struct held inline;
/// always used by reference.
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
            slot.Marked = 0;
            slot.AmountSum = 0;
        }

        slot.Count++;
        slot.AmountSum += (float)amount;
    }

    /// <summary>
    /// Counts one transaction of <paramref name="day"/> as reported fraud; false when the ring no longer holds that day
    /// (older than the ring, or never counted there) or all of its transactions are marked already.
    /// </summary>
    public bool Mark(int day)
    {
        ref var slot = ref _ring[day & Mask];
        if (slot.Day != day || slot.Count == 0 || slot.Marked >= slot.Count)
        {
            return false;
        }

        slot.Marked++;
        return true;
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

    /// <summary>Every window of <see cref="DayWindows"/> as of <paramref name="day"/>, in one pass over the ring.</summary>
    public readonly void Summarize(int day, out DayWindows windows)
    {
        windows = default;
        for (var i = 0; i < Slots; i++)
        {
            ref readonly var slot = ref _ring[i];
            var age = day - slot.Day;
            if (slot.Count == 0 || age < 0 || age >= MaxDays)
            {
                continue;
            }

            windows.Count30d += slot.Count;
            windows.Marked30d += slot.Marked;
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
                windows.Marked7d += slot.Marked;
                windows.Amount7d += slot.AmountSum;
                if (age == 0)
                {
                    windows.Count1d += slot.Count;
                    windows.Marked1d += slot.Marked;
                }
            }
            else if (age < 14)
            {
                windows.CountLag7 += slot.Count;
                windows.MarkedLag7 += slot.Marked;
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
                writer.WriteCount(slot.Marked);
                writer.WriteUInt32(BitConverter.SingleToUInt32Bits(slot.AmountSum));
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
            slot.Marked = reader.ReadCount(count);
            slot.AmountSum = BitConverter.UInt32BitsToSingle(reader.ReadUInt32());
        }

        return buckets;
    }
}
