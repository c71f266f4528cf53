using System.Buffers;
using FraudStream.Core.Contracts;
using FraudStream.Features.Checkpoints;
using FraudStream.Features.Engine;
using FraudStream.Features.Graph;

namespace FraudStream.Features.Replay;

/// <summary>
/// Replays history in time order for training and evaluation: labels wait in a queue until their
/// reported time has come, so a label reported after a transaction can never affect that
/// transaction's features. Single-threaded (one engine, one graph).
/// </summary>
public sealed class FeatureReplay
{
    private readonly PriorityQueue<Label, long> _pending = new();

    public FeatureReplay(FeatureOptions? options = null)
        : this(new MerchantGraph(options))
    {
    }

    private FeatureReplay(MerchantGraph graph)
    {
        Graph = graph;
        Engine = new FeatureEngine(graph);
    }

    private FeatureReplay(MerchantGraph graph, FeatureEngine engine)
    {
        Graph = graph;
        Engine = engine;
    }

    public FeatureEngine Engine { get; }

    public MerchantGraph Graph { get; }

    public int PendingLabels => _pending.Count;

    /// <summary>Queues a label; it is applied once a transaction at or after its reported time arrives.</summary>
    public void Enqueue(Label label)
    {
        ArgumentNullException.ThrowIfNull(label);
        _pending.Enqueue(label, label.ReportedAt.Ticks);
    }

    /// <summary>Applies the queued labels reported at or before <paramref name="now"/>.</summary>
    public void ApplyDue(DateTime now)
    {
        while (_pending.TryPeek(out var label, out var reportedTicks) && reportedTicks <= now.Ticks)
        {
            _pending.Dequeue();
            Graph.ApplyLabel(label);
        }
    }

    public void Process(Transaction tx, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ApplyDue(tx.Timestamp);
        Engine.Process(tx, features);
    }

    /// <summary>
    /// Writes the graph, the engine and the labels still waiting for their time as one checkpoint of kind
    /// <see cref="CheckpointKind.Replay"/>. The waiting labels go in the queue's own order, so labels due at the
    /// same time are applied in the same order after a restore.
    /// </summary>
    public void WriteCheckpoint(IBufferWriter<byte> destination)
    {
        var writer = CheckpointEnvelope.Begin(destination, CheckpointKind.Replay, out var payloadStart);
        var references = new ReferenceWriter();
        Graph.WritePayload(ref writer, references);
        Engine.WritePayload(ref writer, references);
        writer.WriteCount(_pending.Count);
        foreach (var (label, _) in _pending.UnorderedItems)
        {
            writer.WriteString(label.Id);
            writer.WriteBoolean(label.Fraud);
            writer.WriteInt64(label.ReportedAt.Ticks);
            writer.WriteByte((byte)label.ReportedAt.Kind);
        }

        CheckpointEnvelope.End(ref writer, payloadStart);
    }

    /// <inheritdoc cref="WriteCheckpoint(IBufferWriter{byte})"/>
    public void WriteCheckpoint(Stream destination) => CheckpointStreams.Write(destination, WriteCheckpoint);

    /// <summary>A replay with the state of <paramref name="checkpoint"/>; <see cref="CheckpointRejectedException"/> on any fault.</summary>
    public static FeatureReplay ReadCheckpoint(ReadOnlySpan<byte> checkpoint, FeatureOptions? options = null)
    {
        var reader = new CheckpointReader(CheckpointEnvelope.Open(checkpoint, CheckpointKind.Replay));
        var graph = new MerchantGraph(options);
        var references = new ReferenceReader(graph);
        graph.ReadPayload(ref reader, references);
        var engine = new FeatureEngine(graph);
        engine.ReadPayload(ref reader, references);
        var replay = new FeatureReplay(graph, engine);
        var pending = reader.ReadLength();
        for (var i = 0; i < pending; i++)
        {
            var id = reader.ReadString();
            var fraud = reader.ReadBoolean();
            var ticks = reader.ReadInt64();
            var kind = (DateTimeKind)reader.ReadByte();
            if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks || !Enum.IsDefined(kind))
            {
                CheckpointReader.ThrowMalformed("a waiting label's time is out of range");
            }

            // Enqueued in the heap's own order, each lands where it was (none is less than its parent).
            replay.Enqueue(new Label(id, fraud, new DateTime(ticks, kind)));
        }

        reader.ExpectEnd();
        return replay;
    }

    /// <inheritdoc cref="ReadCheckpoint(ReadOnlySpan{byte}, FeatureOptions?)"/>
    public static FeatureReplay ReadCheckpoint(Stream source, FeatureOptions? options = null) =>
        ReadCheckpoint(CheckpointStreams.ReadAll(source), options);
}
