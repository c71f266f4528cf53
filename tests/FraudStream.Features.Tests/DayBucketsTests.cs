using System.Buffers;
using FraudStream.Features.Checkpoints;
using FraudStream.Features.Engine;

namespace FraudStream.Features.Tests;

/// <summary>The per-day ring behind the 7- and 30-day windows: rollover, weekday habit, checkpoint round trip.</summary>
public sealed class DayBucketsTests
{
    private const int Start = 20_000;

    [Fact]
    public void After_eight_days_the_seven_day_window_forgets_and_after_thirty_one_the_thirty_day_one()
    {
        var buckets = default(DayBuckets);
        buckets.Add(Start, 10);
        buckets.Add(Start, 5);

        buckets.Window(Start + 6, 7, out var count7, out var sum7);
        Assert.Equal(2, count7);
        Assert.Equal(15, sum7);

        buckets.Window(Start + 7, 7, out count7, out _);
        Assert.Equal(0, count7);

        buckets.Window(Start + 29, 30, out var count30, out var sum30);
        Assert.Equal(2, count30);
        Assert.Equal(15, sum30);

        buckets.Window(Start + 30, 30, out count30, out _);
        Assert.Equal(0, count30);
    }

    [Fact]
    public void A_day_that_comes_back_to_a_used_slot_clears_the_older_day()
    {
        var buckets = default(DayBuckets);
        buckets.Add(Start, 100);
        buckets.Add(Start + DayBuckets.Slots, 1);

        buckets.Window(Start + DayBuckets.Slots, 30, out var count, out var sum);
        Assert.Equal(1, count);
        Assert.Equal(1, sum);
    }

    [Fact]
    public void Windows_add_up_the_days_inside_them_only()
    {
        var buckets = default(DayBuckets);
        for (var day = 0; day < 40; day++)
        {
            buckets.Add(Start + day, day);
        }

        var today = Start + 39;
        buckets.Window(today, 7, out var count7, out var sum7);
        Assert.Equal(7, count7);
        Assert.Equal(33 + 34 + 35 + 36 + 37 + 38 + 39, sum7);
        buckets.Window(today, 30, out var count30, out var sum30);
        Assert.Equal(30, count30);
        Assert.Equal(Enumerable.Range(10, 30).Sum(), sum30);
        buckets.Window(today, 1, out var count1, out var sum1);
        Assert.Equal(1, count1);
        Assert.Equal(39, sum1);
    }

    [Fact]
    public void The_weekday_habit_counts_the_same_weekday_over_four_weeks()
    {
        var buckets = default(DayBuckets);
        buckets.Add(Start, 1);
        buckets.Add(Start + 7, 1);
        buckets.Add(Start + 7, 1);
        buckets.Add(Start + 8, 1);
        buckets.Add(Start + 28, 1);

        // Start + 28: days 28, 21, 14, 7 count (day 0 is four weeks back, outside); day 8 is another weekday.
        Assert.Equal(3, buckets.SameWeekdayCount(Start + 28));
    }

    [Fact]
    public void A_mark_lands_on_the_day_of_the_transaction_only_while_the_ring_holds_that_day()
    {
        var buckets = default(DayBuckets);
        buckets.Add(Start, 1);
        buckets.Add(Start + 3, 1);

        Assert.True(buckets.Mark(Start));
        Assert.False(buckets.Mark(Start)); // its one transaction is marked already
        Assert.False(buckets.Mark(Start + 1)); // nothing was counted that day
        buckets.Summarize(Start + 3, out var windows);
        Assert.Equal(1, windows.Marked7d);
        Assert.Equal(0, windows.Marked1d);

        buckets.Add(Start + DayBuckets.Slots, 1); // reuses day Start's slot
        Assert.False(buckets.Mark(Start));
        buckets.Summarize(Start + DayBuckets.Slots, out windows);
        Assert.Equal(0, windows.Marked30d);
    }

    [Fact]
    public void Summarize_agrees_with_the_windows_one_by_one()
    {
        var buckets = default(DayBuckets);
        for (var day = 0; day < 45; day += 2)
        {
            buckets.Add(Start + day, day);
            if (day % 4 == 0)
            {
                buckets.Mark(Start + day);
            }
        }

        var today = Start + 44;
        buckets.Summarize(today, out var windows);
        buckets.Window(today, 7, out var count7, out var sum7);
        buckets.Window(today, 30, out var count30, out var sum30);
        buckets.Window(today, 1, out var count1, out _);
        buckets.Window(today, 28, out var count28, out _);
        buckets.Window(today - 7, 7, out var countLag7, out _);
        Assert.Equal(count1, windows.Count1d);
        Assert.Equal(count7, windows.Count7d);
        Assert.Equal(count28, windows.Count28d);
        Assert.Equal(count30, windows.Count30d);
        Assert.Equal(countLag7, windows.CountLag7);
        Assert.Equal(sum7, windows.Amount7d);
        Assert.Equal(sum30, windows.Amount30d);
        Assert.Equal(buckets.SameWeekdayCount(today), windows.SameWeekday28d);
        Assert.Equal(8, windows.Marked30d); // days 16, 20, … 44 of the 30 days 15 … 44
    }

    [Fact]
    public void A_checkpoint_restores_the_ring_bit_for_bit()
    {
        var buckets = default(DayBuckets);
        for (var day = 0; day < 45; day += 3)
        {
            buckets.Add(Start + day, 0.1 * day);
            buckets.Add(Start + day, 1e-7);
        }

        var first = Write(buckets);
        var restored = Read(first);
        Assert.Equal(first, Write(restored));
        for (var days = 1; days <= DayBuckets.MaxDays; days++)
        {
            buckets.Window(Start + 44, days, out var expectedCount, out var expectedSum);
            restored.Window(Start + 44, days, out var count, out var sum);
            Assert.Equal(expectedCount, count);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expectedSum), BitConverter.DoubleToInt64Bits(sum));
        }
    }

    [Fact]
    public void A_checkpoint_with_buckets_out_of_slot_order_is_refused()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new CheckpointWriter(buffer);
        writer.WriteCount(2);
        writer.WriteVarInt(Start + 1);
        writer.WriteCount(1);
        writer.WriteCount(0);
        writer.WriteUInt32(BitConverter.SingleToUInt32Bits(1));
        writer.WriteVarInt(Start);
        writer.WriteCount(1);
        writer.WriteCount(0);
        writer.WriteUInt32(BitConverter.SingleToUInt32Bits(1));
        writer.FinishWithChecksum();
        var payload = buffer.WrittenSpan[..^4].ToArray();

        var error = Assert.Throws<CheckpointRejectedException>(() =>
        {
            var reader = new CheckpointReader(payload);
            DayBuckets.ReadCheckpoint(ref reader);
        });
        Assert.Equal(CheckpointRejection.Malformed, error.Reason);
    }

    private static byte[] Write(DayBuckets buckets)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new CheckpointWriter(buffer);
        buckets.WriteCheckpoint(ref writer);
        writer.FinishWithChecksum();
        return buffer.WrittenSpan[..^4].ToArray();
    }

    private static DayBuckets Read(byte[] payload)
    {
        var reader = new CheckpointReader(payload);
        var buckets = DayBuckets.ReadCheckpoint(ref reader);
        reader.ExpectEnd();
        return buckets;
    }
}
