using System.Buffers;
using FraudStream.Core.Contracts;
using FraudStream.Features.Engine;
using FraudStream.Features.Graph;
using FraudStream.Features.Replay;
using FraudStream.Features.Schema;

namespace FraudStream.Features.Tests;

/// <summary>One transaction of a scripted stream, the partition its card is keyed to, and the label reported for it later, if any.</summary>
internal sealed record ScriptStep(Transaction Tx, int Partition, Label? Label);

/// <summary>
/// Seeded streams that reach every part of the feature state within a few thousand transactions: small TTLs and a
/// small label index so that cards and merchants expire (and the index still points at some of them), window caps
/// that bind, out-of-order and equal timestamps, missing ids and locations, and labels reported minutes to a day
/// after their transaction — so at any point some are reported but not yet due.
/// </summary>
internal static class CheckpointScript
{
    public static FeatureOptions Options() => new()
    {
        CardIdleTtl = TimeSpan.FromHours(12),
        GraphIdleTtl = TimeSpan.FromHours(6), // shorter than the cards': cards still point at expired merchants
        GraphSweepInterval = 64,
        ExpiryChecksPerTransaction = 2,
        LabelIndexCapacity = 64 * 16, // 16 a stripe, about 17 h of this stream: some labels come too late
        MaxWindowEvents = 16,
        CompromiseLookback = TimeSpan.FromDays(2),
    };

    private static readonly string[] Categories = ["grocery", "travel", "fuel", "restaurant", ""];
    private static readonly string[] Countries = ["DE", "FR", "ES", ""];

    public static List<ScriptStep> Build(int seed, int count, int cards, int merchants, int partitions = 1)
    {
        var random = new Random(seed);
        var steps = new List<ScriptStep>(count);
        var clock = Scripted.T0;
        for (var i = 0; i < count; i++)
        {
            clock += random.Next(800) == 0
                ? TimeSpan.FromHours(13) // a quiet night: idle cards and merchants expire
                : TimeSpan.FromSeconds(random.Next(3) == 0 ? 0 : random.NextDouble() * 40);
            var at = random.Next(40) == 0 ? clock - TimeSpan.FromSeconds(30) : clock; // a skewed terminal clock
            var card = random.Next(random.Next(1, cards + 1)); // skewed: a few busy cards, many quiet ones
            var located = random.Next(2) == 0;
            var tx = new Transaction
            {
                Id = $"t{i}",
                Timestamp = at,
                Card = $"card{card}",
                Merchant = $"m{random.Next(merchants)}",
                Category = Categories[random.Next(Categories.Length)],
                Amount = Math.Round((decimal)(1 + (random.NextDouble() * 400)), 2),
                Currency = "EUR",
                Country = Countries[random.Next(Countries.Length)],
                Device = random.Next(2) == 0 ? null : $"d{(random.Next(5) == 0 ? random.Next(cards) : card) % Math.Max(1, cards / 2)}",
                Latitude = located ? 48 + random.NextDouble() : double.NaN,
                Longitude = located ? 11 + random.NextDouble() : double.NaN,
                Channel = (PaymentChannel)random.Next(1, 4),
            };
            var label = random.Next(12) == 0
                ? new Label(tx.Id, random.Next(4) != 0, at + TimeSpan.FromMinutes(random.Next(1, 24 * 60)))
                : null;
            steps.Add(new ScriptStep(tx, card % partitions, label));
        }

        return steps;
    }

    /// <summary>Processes one step as the training replay does: the transaction, then its label joins the queue.</summary>
    public static float[] Run(FeatureReplay replay, ScriptStep step)
    {
        var features = new float[FeatureSchema.Count];
        replay.Process(step.Tx, features);
        if (step.Label is { } label)
        {
            replay.Enqueue(label);
        }

        return features;
    }

    public static byte[] Bytes(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Every feature of every row, compared as bits (NaN included): equal floats are not enough.</summary>
    public static void AssertSameBits(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual, int firstRow)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var row = 0; row < expected.Count; row++)
        {
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                var want = BitConverter.SingleToInt32Bits(expected[row][f]);
                var got = BitConverter.SingleToInt32Bits(actual[row][f]);
                if (want != got)
                {
                    Assert.Fail($"transaction {firstRow + row}, {FeatureSchema.Names[f]}: {expected[row][f]:R} ({want:x8}) expected, {actual[row][f]:R} ({got:x8}) after the restore");
                }
            }
        }
    }
}

/// <summary>
/// The service's shape: one graph, one engine per partition, labels applied to the graph when their time comes
/// (as the labels consumer does when they arrive). The label queue stands for the labels topic and its position:
/// a restore carries it over as it is, as the consumer would resume from the checkpointed offset.
/// </summary>
internal sealed class PartitionedFeatures
{
    private readonly PriorityQueue<Label, long> _labels;

    public PartitionedFeatures(FeatureOptions options, int partitions)
        : this(new MerchantGraph(options), partitions, new PriorityQueue<Label, long>())
    {
    }

    private PartitionedFeatures(MerchantGraph graph, int partitions, PriorityQueue<Label, long> labels)
    {
        Graph = graph;
        Engines = new FeatureEngine[partitions];
        for (var i = 0; i < partitions; i++)
        {
            Engines[i] = new FeatureEngine(graph);
        }

        _labels = labels;
    }

    public MerchantGraph Graph { get; }

    public FeatureEngine[] Engines { get; }

    public int WaitingLabels => _labels.Count;

    public float[] Run(ScriptStep step)
    {
        while (_labels.TryPeek(out var label, out var due) && due <= step.Tx.Timestamp.Ticks)
        {
            _labels.Dequeue();
            Graph.ApplyLabel(label);
        }

        var features = new float[FeatureSchema.Count];
        Engines[step.Partition].Process(step.Tx, features);
        if (step.Label is { } next)
        {
            _labels.Enqueue(next, next.ReportedAt.Ticks);
        }

        return features;
    }

    /// <summary>The graph's checkpoint and each engine's, taken apart as the service will store them.</summary>
    public (byte[] Graph, byte[][] Engines) Checkpoint()
    {
        var engines = new byte[Engines.Length][];
        for (var i = 0; i < Engines.Length; i++)
        {
            engines[i] = CheckpointScript.Bytes(Engines[i].WriteCheckpoint);
        }

        return (CheckpointScript.Bytes(Graph.WriteCheckpoint), engines);
    }

    /// <summary>The graph first, then the engines in <paramref name="order"/>, into new objects; the label queue carried over.</summary>
    public PartitionedFeatures Restore((byte[] Graph, byte[][] Engines) checkpoint, FeatureOptions options, IEnumerable<int> order)
    {
        var restored = new PartitionedFeatures(MerchantGraph.ReadCheckpoint(checkpoint.Graph, options), Engines.Length, _labels);
        foreach (var partition in order)
        {
            restored.Engines[partition] = FeatureEngine.ReadCheckpoint(checkpoint.Engines[partition], restored.Graph);
        }

        return restored;
    }
}
