using System.Buffers;
using FraudStream.Features.Checkpoints;
using FraudStream.Features.Engine;
using FraudStream.Features.Replay;
using FraudStream.Features.Schema;
using FraudStream.Features.Stage;

namespace FraudStream.Features.Tests;

/// <summary>
/// The card's 8-byte-slot day ring against the 16-byte ring it replaced (<see cref="DayBuckets"/>, which merchants keep,
/// is the reference): the same windows bit for bit, over random day sequences and over a 110-day stream through the
/// whole engine; its checkpoint; and the refusal of a checkpoint written before it.
/// </summary>
public sealed class CardDayBucketsTests
{
    private const int Start = 739_000; // about 2024 in days of DateTime ticks: past 65,536, where a 16-bit day would wrap

    /// <summary>All 42 features of <see cref="LongScript"/> (seed 60) as computed by commit 2d29350, the 16-byte card ring.</summary>
    private const string DigestOfTheSixteenByteRing = "063D90035F07F4FC43FDAE6F4B256EC07AA46F52EEBEA733D230C5D0FD62E3B9";

    [Fact]
    public void The_ring_is_a_quarter_kilobyte_of_slots_and_its_latest_day()
    {
        Assert.Equal(8, System.Runtime.CompilerServices.Unsafe.SizeOf<CardDay>());
        Assert.Equal(CardDayBuckets.Bytes, System.Runtime.CompilerServices.Unsafe.SizeOf<CardDayBuckets>());
        Assert.Equal(260, CardDayBuckets.Bytes);
    }

    [Theory]
    [InlineData(1, 3)] // mostly the same day or the next
    [InlineData(2, 12)] // gaps within the window
    [InlineData(3, 40)] // gaps past the ring: whole rollovers
    [InlineData(4, 70_000)] // gaps past 65,536 days
    public void Random_days_give_the_windows_of_the_sixteen_byte_ring_bit_for_bit(int seed, int maxGap)
    {
        var random = new Random(seed);
        var reference = default(DayBuckets);
        var ring = default(CardDayBuckets);
        var day = Start;
        for (var step = 0; step < 20_000; step++)
        {
            day += random.Next(4) == 0 ? random.Next(maxGap + 1) : 0;
            for (var ahead = 0; ahead <= 40; ahead += random.Next(1, 9))
            {
                AssertSameWindows(in reference, in ring, day + ahead, step);
            }

            // Sums of floats far apart in size round in double: only the same order of addition gives the same bits.
            var amount = random.Next(6) switch
            {
                0 => random.NextDouble() * 1e12,
                1 => random.NextDouble() * 1e-9,
                _ => Math.Round(random.NextDouble() * 400, 2),
            };
            reference.Add(day, amount);
            ring.Add(day, amount);
        }
    }

    [Fact]
    public void A_day_that_left_the_ring_is_never_read_again_however_long_the_gap()
    {
        var ring = default(CardDayBuckets);
        ring.Add(Start, 100);
        ring.Add(Start + 5, 1);

        // 65,536 days on (a 16-bit day stamp's period), then the day a stale slot would alias with.
        ring.Add(Start + 65_536, 7);
        ring.Summarize(Start + 65_536, out var windows);
        Assert.Equal(1, windows.Count30d);
        ring.Summarize(Start + 65_536 + 5, out windows);
        Assert.Equal(1, windows.Count30d);
        Assert.Equal(7, windows.Amount30d);

        // Gaps shorter than the ring empty the days skipped: day 5's slot is reused 32 days later, day 0's never.
        ring = default;
        ring.Add(Start, 100);
        ring.Add(Start + 20, 1);
        ring.Add(Start + 40, 2); // skips Start + 32, day Start's slot
        ring.Summarize(Start + 40, out windows);
        Assert.Equal(2, windows.Count30d);
        Assert.Equal(3, windows.Amount30d);
    }

    [Fact]
    public void A_card_ring_refuses_a_day_before_its_latest()
    {
        var ring = default(CardDayBuckets);
        ring.Add(Start + 1, 1);
        var error = Assert.Throws<InvalidOperationException>(() =>
        {
            var copy = ring;
            copy.Add(Start, 1);
        });
        Assert.Contains("never go backwards", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_checkpoint_writes_only_the_days_inside_the_window_and_restores_the_same_windows()
    {
        var ring = default(CardDayBuckets);
        var reference = default(DayBuckets);
        for (var day = 0; day < 45; day += 3)
        {
            foreach (var amount in new[] { 0.1 * day, 1e-7 })
            {
                ring.Add(Start + day, amount);
                reference.Add(Start + day, amount);
            }
        }

        var bytes = Write(ring, Start + 42);
        // Days 42, 39, … 15 are inside the 30 days ending at day 42 (10 of them; the ring still holds day 12 too):
        // a 4-byte mask, the latest day's distance (1 byte), then a count byte and 4 bytes of sum for each day.
        Assert.Equal(4 + 1 + (10 * 5), bytes.Length);
        var restored = Read(bytes, Start + 42);
        Assert.Equal(bytes, Write(restored, Start + 42));
        for (var day = Start + 42; day < Start + 80; day++)
        {
            AssertSameWindows(in reference, in restored, day, day);
        }

        // The bytes hold the latest day relative to the card's clock, so they restore at another clock as well.
        var moved = Read(Write(ring, Start + 50), Start + 50);
        AssertSameWindows(in reference, in moved, Start + 44, 0);
    }

    [Fact]
    public void An_empty_ring_writes_one_byte_and_a_ring_of_one_day_seven()
    {
        var ring = default(CardDayBuckets);
        Assert.Single(Write(ring, Start));
        Assert.True(Read(Write(ring, Start), Start).IsEmpty);

        ring.Add(Start, 5);
        Assert.Equal(1 + 1 + 1 + 4, Write(ring, Start).Length); // mask, latest day, count, sum
        Assert.Equal(Start, Read(Write(ring, Start), Start).LatestDay);
    }

    [Fact]
    public void A_checkpoint_naming_a_day_outside_the_window_or_an_empty_day_is_refused()
    {
        var outside = Payload((ref CheckpointWriter writer) =>
        {
            writer.WriteVarUInt(1u << CardDayBuckets.MaxDays);
            writer.WriteVarInt(0);
        });
        Assert.Equal(CheckpointRejection.Malformed, Refusal(outside));

        var empty = Payload((ref CheckpointWriter writer) =>
        {
            writer.WriteVarUInt(1);
            writer.WriteVarInt(0);
            writer.WriteCount(0);
            writer.WriteUInt32(0);
        });
        Assert.Equal(CheckpointRejection.Malformed, Refusal(empty));
    }

    [Fact]
    public void A_long_stream_gives_the_features_of_the_sixteen_byte_ring_bit_for_bit()
    {
        var steps = LongScript.Build(seed: 60);
        var replay = new FeatureReplay(LongScript.Options());
        var rows = steps.Select(step => CheckpointScript.Run(replay, step)).ToList();

        // The stream reaches what the ring must get right: more than 60 days, a card idle past the whole ring but
        // not expired, a 70-day gap, busy days.
        Assert.True((steps[^1].Tx.Timestamp - steps[0].Tx.Timestamp).TotalDays > 100);
        Assert.Equal(DigestOfTheSixteenByteRing, LongScript.Digest(rows));
    }

    [Fact]
    public void The_engine_card_day_features_equal_those_of_a_sixteen_byte_ring_kept_beside_it()
    {
        // The reference: one DayBuckets per card, fed as the engine feeds its card ring (the card's clock, a card that
        // comes back after expiry starting empty), read through the engine's own formulas.
        var steps = LongScript.Build(seed: 62);
        var replay = new FeatureReplay(LongScript.Options());
        var reference = new Dictionary<string, (DayBuckets Days, long Clock)>(StringComparer.Ordinal);
        var features = new float[FeatureSchema.Count];
        var rolledOver = 0;
        var sawWeekday = false;
        foreach (var step in steps)
        {
            replay.Process(step.Tx, features);
            if (step.Label is { } label)
            {
                replay.Enqueue(label);
            }

            var card = step.Tx.Card;
            if (!reference.TryGetValue(card, out var state) || features[FeatureSchema.CardHistoryCount] == 0)
            {
                state = (default, long.MinValue); // new, or expired and back
            }

            var now = Math.Max(step.Tx.Timestamp.Ticks, state.Clock);
            var today = DayBuckets.DayOf(now);
            if (state.Clock != long.MinValue && today - DayBuckets.DayOf(state.Clock) >= DayBuckets.Slots)
            {
                rolledOver++;
            }

            state.Days.Summarize(today, out var windows);
            var amount = (double)step.Tx.Amount;
            AssertBits(windows.Count7d, features[FeatureSchema.CardCount7d]);
            AssertBits(windows.Count30d, features[FeatureSchema.CardCount30d]);
            AssertBits(FeatureEngine.AmountVsMean(amount, windows.Amount7d, windows.Count7d), features[FeatureSchema.CardAmountVsMean7d]);
            AssertBits(FeatureEngine.AmountVsMean(amount, windows.Amount30d, windows.Count30d), features[FeatureSchema.CardAmountVsMean30d]);
            AssertBits(windows.Count28d == 0 ? float.NaN : (float)windows.SameWeekday28d / windows.Count28d, features[FeatureSchema.CardWeekdayShare]);
            sawWeekday |= windows.Count28d > windows.SameWeekday28d && windows.SameWeekday28d > 0;
            state.Days.Add(today, amount);
            state.Clock = now;
            reference[card] = state;
        }

        Assert.True(rolledOver > 0, "no card came back after a gap longer than the ring");
        Assert.True(sawWeekday);
    }

    [Fact]
    public void A_long_stream_restored_at_any_day_continues_bit_for_bit()
    {
        var options = LongScript.Options();
        var steps = LongScript.Build(seed: 63);
        var uninterrupted = new FeatureReplay(options);
        var expected = steps.Select(step => CheckpointScript.Run(uninterrupted, step)).ToList();
        var expectedEnd = CheckpointScript.Bytes(uninterrupted.WriteCheckpoint);
        foreach (var day in new[] { 1, 31, 33, 59, 61, 95 })
        {
            var split = steps.FindIndex(s => s.Tx.Timestamp >= Scripted.T0.Date.AddDays(day));
            var before = new FeatureReplay(options);
            for (var i = 0; i < split; i++)
            {
                CheckpointScript.Run(before, steps[i]);
            }

            var restored = FeatureReplay.ReadCheckpoint(CheckpointScript.Bytes(before.WriteCheckpoint), options);
            var after = steps.Skip(split).Select(step => CheckpointScript.Run(restored, step)).ToList();
            CheckpointScript.AssertSameBits(expected.Skip(split).ToList(), after, split);
            Assert.Equal(expectedEnd, CheckpointScript.Bytes(restored.WriteCheckpoint));
        }
    }

    /// <summary>
    /// Data/stage-format1-day60.fsck is a real checkpoint of format version 1 (16-byte card slots): a
    /// <see cref="FeatureStage"/> of three partitions after 60 days of <see cref="LongScript"/> (seed 61), written by
    /// commit 2d29350. This build refuses it through the path a start takes (<see cref="FeatureStage.TryRestore"/>
    /// false, with the reason the service logs before it tries an older checkpoint or, with none, replays the log), and
    /// the stage stays empty; the replay from the first transaction then gives the features of a stage that never
    /// stopped, bit for bit.
    /// </summary>
    [Fact]
    public void A_checkpoint_of_format_version_1_is_refused_and_a_replay_takes_its_place()
    {
        var old = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", "stage-format1-day60.fsck"));
        var info = Assert.Throws<CheckpointRejectedException>(() => FeatureCheckpoint.Describe(old));
        Assert.Equal(CheckpointRejection.UnsupportedFormat, info.Reason);

        var stage = new FeatureStage(LongScript.Options());
        Assert.False(stage.TryRestore(old, out var error));
        Assert.Equal($"checkpoint format version 1; this build reads version {FeatureCheckpoint.FormatVersion}", error);
        Assert.Equal(0, stage.CardCount);

        var steps = LongScript.Build(seed: 61, partitions: 3);
        var replayed = StageFeatures(stage, steps);
        var uninterrupted = StageFeatures(new FeatureStage(LongScript.Options()), steps);
        CheckpointScript.AssertSameBits(uninterrupted, replayed, 0);
        Assert.True(stage.CardCount > 0);
    }

    private static List<float[]> StageFeatures(FeatureStage stage, List<ScriptStep> steps)
    {
        var pending = new PriorityQueue<Core.Contracts.Label, DateTime>();
        var rows = new List<float[]>(steps.Count);
        foreach (var step in steps)
        {
            while (pending.TryPeek(out var label, out var due) && due <= step.Tx.Timestamp)
            {
                pending.Dequeue();
                stage.ApplyLabel(label);
            }

            var features = new float[FeatureSchema.Count];
            stage.ForPartition(step.Partition).Process(step.Tx, features);
            rows.Add(features);
            if (step.Label is { } next)
            {
                pending.Enqueue(next, next.ReportedAt);
            }
        }

        return rows;
    }

    private static void AssertSameWindows(in DayBuckets reference, in CardDayBuckets ring, int day, int step)
    {
        reference.Summarize(day, out var want);
        ring.Summarize(day, out var got);
        Assert.True(want.Count1d == got.Count1d && want.Count7d == got.Count7d && want.Count28d == got.Count28d
            && want.Count30d == got.Count30d && want.CountLag7 == got.CountLag7 && want.SameWeekday28d == got.SameWeekday28d,
            $"step {step}, day {day}: counts differ");
        Assert.True(BitConverter.DoubleToInt64Bits(want.Amount7d) == BitConverter.DoubleToInt64Bits(got.Amount7d)
            && BitConverter.DoubleToInt64Bits(want.Amount30d) == BitConverter.DoubleToInt64Bits(got.Amount30d),
            $"step {step}, day {day}: sums {want.Amount7d:R}/{want.Amount30d:R} expected, {got.Amount7d:R}/{got.Amount30d:R}");
    }

    private static void AssertBits(float expected, float actual) =>
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));

    private static byte[] Write(CardDayBuckets ring, int referenceDay) => Payload((ref CheckpointWriter writer) => ring.WriteCheckpoint(ref writer, referenceDay));

    private static CardDayBuckets Read(byte[] payload, int referenceDay)
    {
        var reader = new CheckpointReader(payload);
        var ring = CardDayBuckets.ReadCheckpoint(ref reader, referenceDay);
        reader.ExpectEnd();
        return ring;
    }

    private static CheckpointRejection Refusal(byte[] payload) =>
        Assert.Throws<CheckpointRejectedException>(() => Read(payload, Start)).Reason;

    private delegate void WriteAction(ref CheckpointWriter writer);

    private static byte[] Payload(WriteAction write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new CheckpointWriter(buffer);
        write(ref writer);
        writer.FinishWithChecksum();
        return buffer.WrittenSpan[..^4].ToArray();
    }
}
