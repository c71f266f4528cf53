using FraudStream.Features.Checkpoints;
using FraudStream.Features.Schema;
using FraudStream.Features.Stage;

namespace FraudStream.Features.Tests;

public class OlderFormatRefusalTests
{
    /// <summary>
    /// Data/stage-format2-day60.fsck is a real checkpoint of format version 2 (<c>fs-features-v2</c>, no v3 card state): a
    /// <see cref="FeatureStage"/> of three partitions after 60 days of <see cref="LongScript"/> (seed 61), written by
    /// commit ae55c3d. This build refuses it through the path a start takes, the stage stays empty, and the replay from
    /// the first transaction gives the features of a stage that never stopped, bit for bit (the v3 columns included).
    /// </summary>
    [Fact]
    public void A_checkpoint_of_format_version_2_is_refused_and_a_replay_takes_its_place()
    {
        var old = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", "stage-format2-day60.fsck"));
        var info = Assert.Throws<CheckpointRejectedException>(() => FeatureCheckpoint.Describe(old));
        Assert.Equal(CheckpointRejection.UnsupportedFormat, info.Reason);

        var stage = new FeatureStage(LongScript.Options());
        Assert.False(stage.TryRestore(old, out var error));
        Assert.Equal($"checkpoint format version 2; this build reads version {FeatureCheckpoint.FormatVersion}", error);
        Assert.Equal(3, FeatureCheckpoint.FormatVersion);
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
}
