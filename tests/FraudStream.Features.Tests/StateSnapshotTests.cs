using System.Buffers;
using FraudStream.Core.Contracts;
using FraudStream.Features.Schema;
using FraudStream.Features.Stage;
using static FraudStream.Features.Tests.CheckpointScript;

namespace FraudStream.Features.Tests;

/// <summary>
/// The checkpoint taken in two halves (<see cref="FeatureStage.CaptureCheckpoint"/> under the barrier, the write after
/// it): written while the partitions run on — cards expiring, merchants expiring, the label index wrapping, devices and
/// merchants updated — a snapshot has exactly the bytes <see cref="FeatureStage.WriteCheckpoint"/> gave at its capture.
/// </summary>
public sealed class StateSnapshotTests
{
    private const int Partitions = 4;

    [Fact]
    public void A_snapshot_written_after_the_state_moved_on_has_the_bytes_of_a_checkpoint_at_its_capture()
    {
        var steps = Build(seed: 41, count: 6000, cards: 400, merchants: 50, partitions: Partitions);
        var stage = new FeatureStage(Options());
        var next = 0;

        // One stage, several captures: the snapshot's reused buffers grow, shrink and are refilled.
        foreach (var split in new[] { 0, 1, 700, 2200, 3900, 5200 })
        {
            for (; next < split; next++)
            {
                Process(stage, steps[next], applyLabel: true);
            }

            var atCapture = Checkpoint(stage);
            using var snapshot = stage.CaptureCheckpoint();

            // The next 800 transactions (a 13 h gap every ~800: cards and merchants expire, the 1,024-entry index wraps).
            var ahead = Math.Min(steps.Count, next + 800);
            for (; next < ahead; next++)
            {
                Process(stage, steps[next], applyLabel: false); // labels wait for the write: applied later, below
            }

            var written = Write(snapshot);
            Assert.True(atCapture.AsSpan().SequenceEqual(written), $"capture at {split}: {written.Length} bytes differ from the {atCapture.Length} of a checkpoint at the capture");
        }
    }

    [Fact]
    public void A_snapshot_written_while_every_partition_runs_on_its_own_thread_has_the_bytes_of_a_checkpoint_at_its_capture()
    {
        var steps = Build(seed: 43, count: 8000, cards: 600, merchants: 60, partitions: Partitions);
        var stage = new FeatureStage(Options());
        const int split = 3000;
        for (var i = 0; i < split; i++)
        {
            Process(stage, steps[i], applyLabel: true);
        }

        var atCapture = Checkpoint(stage);
        using var snapshot = stage.CaptureCheckpoint();
        using var start = new Barrier(Partitions + 1);
        var runners = new Thread[Partitions];
        for (var p = 0; p < Partitions; p++)
        {
            var partition = p;
            runners[p] = new Thread(() =>
            {
                start.SignalAndWait();
                var features = new float[FeatureSchema.Count];
                var worker = stage.ForPartition(partition);
                for (var i = split; i < steps.Count; i++)
                {
                    if (steps[i].Partition == partition)
                    {
                        worker.Process(steps[i].Tx, features);
                    }
                }
            });
            runners[p].Start();
        }

        start.SignalAndWait();
        var written = Write(snapshot); // as the engines and the shared graph change under it
        foreach (var runner in runners)
        {
            runner.Join();
        }

        Assert.True(atCapture.AsSpan().SequenceEqual(written), $"{written.Length} bytes differ from the {atCapture.Length} of a checkpoint at the capture");
    }

    [Fact]
    public void Parts_copied_by_several_threads_in_any_order_give_the_bytes_of_a_checkpoint_at_the_capture()
    {
        var steps = Build(seed: 53, count: 7000, cards: 500, merchants: 60, partitions: Partitions);
        var stage = new FeatureStage(Options());
        stage.PrepareCheckpointCapture(); // buffers mapped ahead, as the service does: the same bytes as without
        var random = new Random(53);
        var next = 0;
        foreach (var split in new[] { 0, 900, 2600, 4100, 5600 })
        {
            for (; next < split; next++)
            {
                Process(stage, steps[next], applyLabel: true);
            }

            var atCapture = Checkpoint(stage);
            var capture = stage.BeginCheckpointCapture();
            Assert.True(capture.Parts > Partitions, $"{capture.Parts} parts for {Partitions} partitions and the graph");
            var order = Enumerable.Range(0, capture.Parts).OrderBy(_ => random.Next()).ToArray();
            Parallel.For(0, order.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => capture.CopyPart(order[i]));
            using var snapshot = capture.Complete();

            var ahead = Math.Min(steps.Count, next + 700);
            for (; next < ahead; next++)
            {
                Process(stage, steps[next], applyLabel: false);
            }

            var written = Write(snapshot);
            Assert.True(atCapture.AsSpan().SequenceEqual(written), $"capture at {split}: {written.Length} bytes differ from the {atCapture.Length} of a checkpoint at the capture");
        }
    }

    [Fact]
    public async Task A_capture_completes_only_once_every_part_is_copied_and_disposed_unfinished_it_lets_labels_go_on()
    {
        var steps = Build(seed: 59, count: 800, cards: 80, merchants: 12, partitions: Partitions);
        var stage = new FeatureStage(Options());
        foreach (var step in steps)
        {
            Process(stage, step, applyLabel: true);
        }

        var capture = stage.BeginCheckpointCapture();
        for (var part = 1; part < capture.Parts; part++)
        {
            capture.CopyPart(part);
        }

        var error = Assert.Throws<InvalidOperationException>(() => capture.Complete());
        Assert.Contains($"all {capture.Parts} parts", error.Message, StringComparison.Ordinal);
        capture.Dispose();

        // Disposed, it holds neither the labels nor the next capture back.
        var applied = Task.Run(() => stage.ApplyLabel(new Label(steps[0].Tx.Id, Fraud: true, steps[0].Tx.Timestamp)));
        Assert.Same(applied, await Task.WhenAny(applied, Task.Delay(TimeSpan.FromSeconds(10))));
        var atCapture = Checkpoint(stage);
        using var snapshot = stage.CaptureCheckpoint();
        Assert.True(atCapture.AsSpan().SequenceEqual(Write(snapshot)), "the capture after an unfinished one differs from a checkpoint at it");
    }

    [Fact]
    public void A_snapshot_restores_to_the_features_of_an_uninterrupted_run_bit_for_bit()
    {
        var steps = Build(seed: 47, count: 4000, cards: 300, merchants: 40, partitions: Partitions);
        const int split = 2100;
        var uninterrupted = new FeatureStage(Options());
        var expected = steps.Select(step => Process(uninterrupted, step, applyLabel: true)).ToList();

        var interrupted = new FeatureStage(Options());
        for (var i = 0; i < split; i++)
        {
            Process(interrupted, steps[i], applyLabel: true);
        }

        byte[] checkpoint;
        using (var snapshot = interrupted.CaptureCheckpoint())
        {
            for (var i = split; i < split + 500; i++)
            {
                Process(interrupted, steps[i], applyLabel: false); // the stage it came from moves on before the write
            }

            checkpoint = Write(snapshot);
        }

        var restored = new FeatureStage(Options());
        Assert.True(restored.TryRestore(checkpoint, out var error), error);
        for (var i = split; i < steps.Count; i++)
        {
            var actual = Process(restored, steps[i], applyLabel: true);
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[i][f]) == BitConverter.SingleToInt32Bits(actual[f]),
                    $"transaction {i}, feature {FeatureSchema.Names[f]}: {expected[i][f]} vs {actual[f]}");
            }
        }
    }

    [Fact]
    public async Task A_label_applied_after_a_capture_waits_until_the_snapshot_is_written()
    {
        var steps = Build(seed: 5, count: 1500, cards: 100, merchants: 20, partitions: Partitions);
        var stage = new FeatureStage(Options());
        foreach (var step in steps)
        {
            Process(stage, step, applyLabel: true);
        }

        var atCapture = Checkpoint(stage);
        var snapshot = stage.CaptureCheckpoint();
        var fraud = new Label(steps[^1].Tx.Id, Fraud: true, steps[^1].Tx.Timestamp + TimeSpan.FromMinutes(1));
        var applying = Task.Run(() => stage.ApplyLabel(fraud));
        await Task.WhenAny(applying, Task.Delay(300));
        Assert.False(applying.IsCompleted, "the label was applied before the snapshot was written");

        var written = Write(snapshot);
        await applying.WaitAsync(TimeSpan.FromSeconds(30)); // throws if it still waits after the write
        snapshot.Dispose();
        Assert.True(atCapture.AsSpan().SequenceEqual(written));
        Assert.False(atCapture.AsSpan().SequenceEqual(Checkpoint(stage)), "the label changed nothing: the test shows nothing");
    }

    [Fact]
    public async Task A_snapshot_disposed_unwritten_lets_labels_through_and_the_next_capture_happen()
    {
        var stage = new FeatureStage(Options());
        var steps = Build(seed: 9, count: 300, cards: 30, merchants: 10, partitions: Partitions);
        foreach (var step in steps)
        {
            Process(stage, step, applyLabel: true);
        }

        var first = stage.CaptureCheckpoint();
        Assert.Throws<InvalidOperationException>(() => stage.CaptureCheckpoint());
        first.Dispose();
        await Task.Run(() => stage.ApplyLabel(new Label(steps[0].Tx.Id, Fraud: true, steps[^1].Tx.Timestamp)))
            .WaitAsync(TimeSpan.FromSeconds(30));

        var atCapture = Checkpoint(stage);
        using var second = stage.CaptureCheckpoint();
        Assert.True(atCapture.AsSpan().SequenceEqual(Write(second)));
        Assert.Throws<InvalidOperationException>(() => second.WriteTo(new ArrayBufferWriter<byte>()));
    }

    private static float[] Process(FeatureStage stage, ScriptStep step, bool applyLabel)
    {
        var features = new float[FeatureSchema.Count];
        stage.ForPartition(step.Partition).Process(step.Tx, features);
        if (applyLabel && step.Label is { } label && label.ReportedAt <= step.Tx.Timestamp + TimeSpan.FromHours(1))
        {
            stage.ApplyLabel(label);
        }

        return features;
    }

    private static byte[] Checkpoint(FeatureStage stage)
    {
        var buffer = new ArrayBufferWriter<byte>();
        stage.WriteCheckpoint(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Write(Core.Stages.IStateSnapshot snapshot)
    {
        var buffer = new ArrayBufferWriter<byte>();
        snapshot.WriteTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
