using System.Buffers;
using FraudStream.Core.Contracts;
using FraudStream.Features.Schema;
using FraudStream.Features.Stage;
using static FraudStream.Features.Tests.CheckpointScript;

namespace FraudStream.Features.Tests;

/// <summary>
/// The service's checkpoint: the whole <see cref="FeatureStage"/> (every partition's engine and the shared graph) in one
/// piece. Restored into a new stage and continued, it gives the features of an uninterrupted run bit for bit.
/// </summary>
public sealed class FeatureStageCheckpointTests
{
    private const int Partitions = 4;

    [Fact]
    public void A_stage_restored_from_its_checkpoint_continues_bit_for_bit_at_every_split()
    {
        var steps = Build(seed: 23, count: 5000, cards: 500, merchants: 60, partitions: Partitions);
        var uninterrupted = new StageRun(new FeatureStage(Options()));
        var expected = steps.Select(uninterrupted.Run).ToList();
        var expectedEnd = Checkpoint(uninterrupted.Stage);

        foreach (var split in new[] { 0, 1, 999, 2500, 4999, 5000 })
        {
            var before = new StageRun(new FeatureStage(Options()));
            for (var i = 0; i < split; i++)
            {
                before.Run(steps[i]);
            }

            var restoredStage = new FeatureStage(Options());
            Assert.True(restoredStage.TryRestore(Checkpoint(before.Stage), out var error), error);
            Assert.Equal(before.Stage.CardCount, restoredStage.CardCount);
            var restored = before.ContinueWith(restoredStage); // the labels not yet due travel as the labels topic's offset would
            for (var i = split; i < steps.Count; i++)
            {
                var actual = restored.Run(steps[i]);
                for (var f = 0; f < FeatureSchema.Count; f++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i][f]) == BitConverter.SingleToInt32Bits(actual[f]),
                        $"split {split}, transaction {i}, feature {FeatureSchema.Names[f]}: {expected[i][f]} vs {actual[f]}");
                }
            }

            Assert.Equal(expectedEnd, Checkpoint(restoredStage));
        }
    }

    [Fact]
    public void A_damaged_checkpoint_is_refused_and_leaves_the_stage_empty_and_usable()
    {
        var run = new StageRun(new FeatureStage(Options()));
        foreach (var step in Build(seed: 3, count: 500, cards: 50, merchants: 10, partitions: Partitions))
        {
            run.Run(step);
        }

        var bytes = Checkpoint(run.Stage);
        bytes[bytes.Length / 2] ^= 0x40;
        var stage = new FeatureStage(Options());
        Assert.False(stage.TryRestore(bytes, out var error));
        Assert.False(string.IsNullOrEmpty(error));
        Assert.Equal(0, stage.CardCount);
        Assert.True(stage.TryRestore(Checkpoint(run.Stage), out _)); // nothing was half-restored: a good one still goes in
        Assert.Equal(run.Stage.CardCount, stage.CardCount);
    }

    [Fact]
    public void A_graph_checkpoint_is_not_a_stage_checkpoint()
    {
        var graphOnly = new ArrayBufferWriter<byte>();
        new FeatureStage(Options()).Graph.WriteCheckpoint(graphOnly);
        Assert.False(new FeatureStage(Options()).TryRestore(graphOnly.WrittenSpan, out var error));
        Assert.Contains("kind", error, StringComparison.OrdinalIgnoreCase);
    }

    private static byte[] Checkpoint(FeatureStage stage)
    {
        var buffer = new ArrayBufferWriter<byte>();
        stage.WriteCheckpoint(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Feeds a stage as the pipeline does: each transaction to its partition's engine, each label once its time has come.</summary>
    private sealed class StageRun(FeatureStage stage)
    {
        private readonly PriorityQueue<Label, DateTime> _pending = new();

        public FeatureStage Stage { get; } = stage;

        public float[] Run(ScriptStep step)
        {
            while (_pending.TryPeek(out var label, out var due) && due <= step.Tx.Timestamp)
            {
                _pending.Dequeue();
                Stage.ApplyLabel(label);
            }

            var features = new float[FeatureSchema.Count];
            Stage.ForPartition(step.Partition).Process(step.Tx, features);
            if (step.Label is { } reported)
            {
                _pending.Enqueue(reported, reported.ReportedAt);
            }

            return features;
        }

        public StageRun ContinueWith(FeatureStage restored)
        {
            var next = new StageRun(restored);
            foreach (var (label, due) in _pending.UnorderedItems)
            {
                next._pending.Enqueue(label, due);
            }

            return next;
        }
    }
}
