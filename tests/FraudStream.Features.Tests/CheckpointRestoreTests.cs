using FraudStream.Core.Contracts;
using FraudStream.Features.Engine;
using FraudStream.Features.Graph;
using FraudStream.Features.Replay;
using FraudStream.Features.Schema;
using static FraudStream.Features.Tests.CheckpointScript;

namespace FraudStream.Features.Tests;

public class CheckpointRestoreTests
{
    [Fact]
    public void Features_after_restore_and_continue_equal_an_uninterrupted_run_bit_for_bit_at_every_split()
    {
        var options = Options();
        var steps = Build(seed: 11, count: 6000, cards: 300, merchants: 60);
        var uninterrupted = new FeatureReplay(options);
        var expected = steps.Select(step => Run(uninterrupted, step)).ToList();
        var expectedEnd = Bytes(uninterrupted.WriteCheckpoint);

        var sawLabelsInFlight = false;
        var sawExpiredCards = false;
        foreach (var split in new[] { 0, 1, 7, 500, 1777, 3001, 4999, 5999, 6000 })
        {
            var before = new FeatureReplay(options);
            for (var i = 0; i < split; i++)
            {
                Run(before, steps[i]);
            }

            sawLabelsInFlight |= before.PendingLabels > 0;
            sawExpiredCards |= before.Engine.CardCount < steps.Take(split).Select(s => s.Tx.Card).Distinct().Count();
            var restored = FeatureReplay.ReadCheckpoint(Bytes(before.WriteCheckpoint), options);
            Assert.Equal(before.PendingLabels, restored.PendingLabels);

            var after = steps.Skip(split).Select(step => Run(restored, step)).ToList();
            AssertSameBits(expected.Skip(split).ToList(), after, split);
            Assert.Equal(expectedEnd, Bytes(restored.WriteCheckpoint)); // and the whole state ends equal
        }

        // The stream reached what a restore must carry: labels reported but not yet due, expiry, label matches.
        Assert.True(sawLabelsInFlight);
        Assert.True(sawExpiredCards);
        Assert.True(uninterrupted.Graph.LabelsUnmatched > 0); // the small index wrapped
    }

    [Fact]
    public void Per_partition_engines_checkpointed_apart_and_restored_in_any_order_continue_bit_for_bit()
    {
        var options = Options();
        var steps = Build(seed: 5, count: 5000, cards: 400, merchants: 50, partitions: 3);
        var uninterrupted = new PartitionedFeatures(options, 3);
        var expected = steps.Select(uninterrupted.Run).ToList();
        var expectedEnd = uninterrupted.Checkpoint();

        foreach (var (split, order) in new[] { (1200, new[] { 2, 1, 0 }), (3700, new[] { 1, 0, 2 }) })
        {
            var before = new PartitionedFeatures(options, 3);
            for (var i = 0; i < split; i++)
            {
                before.Run(steps[i]);
            }

            Assert.True(before.WaitingLabels > 0);
            var restored = before.Restore(before.Checkpoint(), options, order);
            Assert.Equal(0, restored.Graph.RestoredCardsAwaitingEngine); // every card the index holds found its engine

            var after = steps.Skip(split).Select(restored.Run).ToList();
            AssertSameBits(expected.Skip(split).ToList(), after, split);
            var end = restored.Checkpoint();
            Assert.Equal(expectedEnd.Graph, end.Graph);
            for (var p = 0; p < 3; p++)
            {
                Assert.Equal(expectedEnd.Engines[p], end.Engines[p]);
            }
        }
    }

    [Fact]
    public void Many_cards_restore_bit_for_bit()
    {
        var options = new FeatureOptions { LabelIndexCapacity = 1 << 14 };
        var steps = Build(seed: 3, count: 60_000, cards: 40_000, merchants: 2_000);
        var uninterrupted = new FeatureReplay(options);
        var expected = steps.Select(step => Run(uninterrupted, step)).ToList();

        const int split = 45_000;
        var before = new FeatureReplay(options);
        for (var i = 0; i < split; i++)
        {
            Run(before, steps[i]);
        }

        Assert.True(before.Engine.CardCount > 10_000);
        var restored = FeatureReplay.ReadCheckpoint(Bytes(before.WriteCheckpoint), options);
        Assert.Equal(before.Engine.CardCount, restored.Engine.CardCount);
        Assert.Equal(before.Graph.MerchantCount, restored.Graph.MerchantCount);
        Assert.Equal(before.Graph.DeviceCount, restored.Graph.DeviceCount);

        var after = steps.Skip(split).Select(step => Run(restored, step)).ToList();
        AssertSameBits(expected.Skip(split).ToList(), after, split);
    }

    [Fact]
    public void An_expired_merchant_that_cards_of_two_partitions_remember_stays_one_merchant_after_a_restore()
    {
        // Cards a (partition 0) and b (partition 1) shop at "old"; the graph forgets "old" overnight, the cards do
        // not. A fraud on b then raises the compromise share of "old" — the node both cards still point to — and
        // a's next transaction reads it as card.exposure. Restored from separate checkpoints, the two cards must
        // point at one node again, or a never sees b's fraud.
        var options = new FeatureOptions { GraphIdleTtl = TimeSpan.FromHours(1), GraphSweepInterval = 1, LabelIndexCapacity = 4096 };
        ScriptStep Step(int partition, double hours, string card, string merchant, string id) =>
            new(Scripted.Tx(TimeSpan.FromHours(hours), card: card, merchant: merchant, id: id), partition, null);
        var script = new List<ScriptStep>
        {
            Step(0, 0, "a", "old", "a0"),
            Step(1, 0, "b", "old", "b0"),
            Step(0, 3, "a", "busy", "a1"), // the sweep now forgets "old"
            Step(1, 3.5, "b", "shop", "b1") with { Label = new Label("b1", true, Scripted.T0 + TimeSpan.FromHours(4)) },
        };
        var last = Step(0, 5, "a", "elsewhere", "a2");

        var uninterrupted = new PartitionedFeatures(options, 2);
        script.ForEach(step => uninterrupted.Run(step));
        var expected = uninterrupted.Run(last);

        var before = new PartitionedFeatures(options, 2);
        script.ForEach(step => before.Run(step));
        Assert.True(double.IsNaN(before.Graph.MerchantCompromiseShare("old"))); // forgotten by the graph
        var restored = before.Restore(before.Checkpoint(), options, [1, 0]);
        var actual = restored.Run(last);

        Assert.True(expected[FeatureSchema.CardExposure] > 0.02f); // b's fraud reached a through "old"
        AssertSameBits([expected], [actual], 0);
    }

    [Fact]
    public void A_label_for_a_card_expired_since_still_reaches_its_earlier_merchants_after_a_restore()
    {
        // Card x shops at "first", then at "second" (x1); x is forgotten, but the label index still holds x1.
        // A fraud label on x1 blames "first" (visited before) through the expired card's visits: the restored
        // index must keep the expired card, not drop the label as unmatched.
        var options = new FeatureOptions { CardIdleTtl = TimeSpan.FromHours(2), ExpiryChecksPerTransaction = 4, LabelIndexCapacity = 4096 };
        var replay = new FeatureReplay(options);
        var uninterrupted = new FeatureReplay(options);
        Transaction[] history =
        [
            Scripted.Tx(TimeSpan.Zero, card: "x", merchant: "first", id: "x0"),
            Scripted.Tx(TimeSpan.FromMinutes(5), card: "x", merchant: "second", id: "x1"),
            Scripted.Tx(TimeSpan.FromHours(3), card: "y", merchant: "third", id: "y0"), // sweeps x away
        ];
        var features = new float[FeatureSchema.Count];
        foreach (var tx in history)
        {
            replay.Process(tx, features);
            uninterrupted.Process(tx, features);
        }

        Assert.Equal(1, replay.Engine.CardCount);
        var label = new Label("x1", true, Scripted.T0 + TimeSpan.FromHours(4));
        var next = Scripted.Tx(TimeSpan.FromHours(5), card: "z", merchant: "first", id: "z0");

        uninterrupted.Enqueue(label);
        var expected = new float[FeatureSchema.Count];
        uninterrupted.Process(next, expected);

        var restored = FeatureReplay.ReadCheckpoint(Bytes(replay.WriteCheckpoint), options);
        restored.Enqueue(label);
        var actual = new float[FeatureSchema.Count];
        restored.Process(next, actual);

        Assert.Equal(0, restored.Graph.LabelsUnmatched);
        Assert.True(expected[FeatureSchema.MerchantCompromiseShare] > 0.02f); // "first" was blamed
        AssertSameBits([expected], [actual], 0);
    }

    [Fact]
    public void A_restored_state_writes_the_very_bytes_it_was_restored_from()
    {
        var options = Options();
        var partitioned = new PartitionedFeatures(options, 2);
        var replay = new FeatureReplay(options);
        foreach (var step in Build(seed: 8, count: 3000, cards: 200, merchants: 40, partitions: 2))
        {
            partitioned.Run(step);
            Run(replay, step);
        }

        var checkpoint = partitioned.Checkpoint();
        var restored = partitioned.Restore(checkpoint, options, [0, 1]);
        var again = restored.Checkpoint();
        Assert.Equal(checkpoint.Graph, again.Graph);
        Assert.Equal(checkpoint.Engines[0], again.Engines[0]);
        Assert.Equal(checkpoint.Engines[1], again.Engines[1]);

        var replayBytes = Bytes(replay.WriteCheckpoint);
        Assert.Equal(replayBytes, Bytes(FeatureReplay.ReadCheckpoint(replayBytes, options).WriteCheckpoint));
    }

    [Fact]
    public void Streams_carry_the_same_checkpoint_as_buffer_writers()
    {
        var options = Options();
        var replay = new FeatureReplay(options);
        foreach (var step in Build(seed: 2, count: 2000, cards: 100, merchants: 30))
        {
            Run(replay, step);
        }

        var buffered = Bytes(replay.Engine.WriteCheckpoint);
        using var stream = new MemoryStream();
        replay.Engine.WriteCheckpoint(stream);
        Assert.Equal(buffered, stream.ToArray());

        // Read back from a stream that cannot seek (a network or database stream), into a graph restored alike.
        var graph = MerchantGraph.ReadCheckpoint(new ForwardOnlyStream(Bytes(replay.Graph.WriteCheckpoint)), options);
        var engine = FeatureEngine.ReadCheckpoint(new ForwardOnlyStream(buffered), graph);
        Assert.Equal(buffered, Bytes(engine.WriteCheckpoint));
    }

    [Fact]
    public void A_graph_restored_with_a_smaller_label_index_keeps_the_newest_entries()
    {
        var replay = new FeatureReplay(new FeatureOptions { LabelIndexCapacity = 64 * 32 });
        var features = new float[FeatureSchema.Count];
        for (var i = 0; i < 64 * 32; i++)
        {
            replay.Process(Scripted.Tx(TimeSpan.FromSeconds(i), card: $"c{i % 50}", id: $"t{i}"), features);
        }

        var smaller = MerchantGraph.ReadCheckpoint(Bytes(replay.Graph.WriteCheckpoint), new FeatureOptions { LabelIndexCapacity = 64 * 16 });
        var matched = Enumerable.Range(0, 64 * 32).Count(i => smaller.ApplyLabel(new Label($"t{i}", false, Scripted.T0)));
        var newest = Enumerable.Range((64 * 32) - 200, 200).Count(i => smaller.ApplyLabel(new Label($"t{i}", false, Scripted.T0)));

        Assert.InRange(matched, 64 * 12, 64 * 16); // each stripe keeps 16 (ids spread unevenly over stripes)
        Assert.Equal(200, newest);
    }

    /// <summary>A stream that only reads forward, as a socket or a database blob stream does.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 1000));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
