using System.Buffers;
using System.Buffers.Binary;
using FraudStream.Features.Checkpoints;
using FraudStream.Features.Engine;
using FraudStream.Features.Graph;
using FraudStream.Features.Replay;
using FraudStream.Features.Schema;
using static FraudStream.Features.Tests.CheckpointScript;

namespace FraudStream.Features.Tests;

public class CheckpointRejectionTests
{
    private static readonly FeatureOptions SmallOptions = Options();

    /// <summary>A small but complete state: a few dozen cards and merchants, devices, labels in flight, expired nodes.</summary>
    private static FeatureReplay SmallState()
    {
        var replay = new FeatureReplay(SmallOptions);
        foreach (var step in Build(seed: 21, count: 400, cards: 40, merchants: 12))
        {
            Run(replay, step);
        }

        return replay;
    }

    public static TheoryData<CheckpointKind> Kinds => [CheckpointKind.Engine, CheckpointKind.Graph, CheckpointKind.Replay];

    private static byte[] Write(FeatureReplay state, CheckpointKind kind) => kind switch
    {
        CheckpointKind.Engine => Bytes(state.Engine.WriteCheckpoint),
        CheckpointKind.Graph => Bytes(state.Graph.WriteCheckpoint),
        _ => Bytes(state.WriteCheckpoint),
    };

    private static void Read(byte[] checkpoint, CheckpointKind kind)
    {
        switch (kind)
        {
            case CheckpointKind.Engine:
                FeatureEngine.ReadCheckpoint(checkpoint, new MerchantGraph(SmallOptions));
                break;
            case CheckpointKind.Graph:
                MerchantGraph.ReadCheckpoint(checkpoint, SmallOptions);
                break;
            default:
                FeatureReplay.ReadCheckpoint(checkpoint, SmallOptions);
                break;
        }
    }

    /// <summary>
    /// Every position in the envelope's header and trailer, and one in 11 of the payload (tens of kilobytes, each
    /// refused by its checksum alike: a CRC catches any change of up to 32 consecutive bits wherever it is).
    /// </summary>
    private static IEnumerable<int> Positions(int length)
    {
        for (var i = 0; i < length; i++)
        {
            if (i < 64 || i >= length - 64 || i % 11 == 0)
            {
                yield return i;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_changed_byte_anywhere_is_refused(CheckpointKind kind)
    {
        var checkpoint = Write(SmallState(), kind);
        Read(checkpoint, kind); // the intact one restores
        var headerBytes = 8 + FeatureSchema.Version.Length;
        foreach (var i in Positions(checkpoint.Length))
        {
            var corrupt = (byte[])checkpoint.Clone();
            corrupt[i] ^= 0x5A;
            var error = Assert.Throws<CheckpointRejectedException>(() => Read(corrupt, kind));
            if (i >= headerBytes && i < checkpoint.Length - 12)
            {
                Assert.Equal(CheckpointRejection.ChecksumMismatch, error.Reason); // a payload byte: only the checksum can tell
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_cut_anywhere_is_refused_and_so_is_a_byte_too_many(CheckpointKind kind)
    {
        var checkpoint = Write(SmallState(), kind);
        foreach (var length in Positions(checkpoint.Length))
        {
            var error = Assert.Throws<CheckpointRejectedException>(() => Read(checkpoint[..length], kind));
            Assert.Contains(error.Reason, new[] { CheckpointRejection.NotACheckpoint, CheckpointRejection.Truncated, CheckpointRejection.SchemaMismatch });
        }

        var longer = Assert.Throws<CheckpointRejectedException>(() => Read([.. checkpoint, 0], kind));
        Assert.Equal(CheckpointRejection.Truncated, longer.Reason);
    }

    [Fact]
    public void A_checkpoint_for_another_feature_schema_is_refused_although_its_checksum_is_right()
    {
        var state = SmallState();
        var buffer = new ArrayBufferWriter<byte>();
        var writer = CheckpointEnvelope.Begin(buffer, CheckpointKind.Engine, "fs-features-v0", out var payloadStart);
        state.Engine.WritePayload(ref writer, new ReferenceWriter());
        CheckpointEnvelope.End(ref writer, payloadStart);

        var error = Assert.Throws<CheckpointRejectedException>(() => FeatureEngine.ReadCheckpoint(buffer.WrittenSpan, state.Graph));
        Assert.Equal(CheckpointRejection.SchemaMismatch, error.Reason);
        Assert.Contains("fs-features-v0", error.Message);
    }

    [Fact]
    public void Another_format_version_is_refused_although_its_checksum_is_right()
    {
        var checkpoint = Bytes(SmallState().Graph.WriteCheckpoint);
        BinaryPrimitives.WriteUInt16LittleEndian(checkpoint.AsSpan(4), FeatureCheckpoint.FormatVersion + 1);
        BinaryPrimitives.WriteUInt32LittleEndian(checkpoint.AsSpan(checkpoint.Length - 4), Crc32C.Of(checkpoint.AsSpan(0, checkpoint.Length - 4)));

        var error = Assert.Throws<CheckpointRejectedException>(() => MerchantGraph.ReadCheckpoint(checkpoint, SmallOptions));
        Assert.Equal(CheckpointRejection.UnsupportedFormat, error.Reason);
    }

    [Fact]
    public void A_checkpoint_of_other_state_is_refused()
    {
        var state = SmallState();
        var graphCheckpoint = Bytes(state.Graph.WriteCheckpoint);

        var error = Assert.Throws<CheckpointRejectedException>(() => FeatureEngine.ReadCheckpoint(graphCheckpoint, state.Graph));
        Assert.Equal(CheckpointRejection.WrongKind, error.Reason);
        Assert.Equal(CheckpointRejection.NotACheckpoint,
            Assert.Throws<CheckpointRejectedException>(() => MerchantGraph.ReadCheckpoint("not a checkpoint at all"u8)).Reason);
    }

    [Fact]
    public void A_payload_with_bytes_left_over_is_refused_as_malformed()
    {
        var state = SmallState();
        var buffer = new ArrayBufferWriter<byte>();
        var writer = CheckpointEnvelope.Begin(buffer, CheckpointKind.Graph, out var payloadStart);
        state.Graph.WritePayload(ref writer, new ReferenceWriter());
        writer.WriteByte(7);
        CheckpointEnvelope.End(ref writer, payloadStart);

        var error = Assert.Throws<CheckpointRejectedException>(() => MerchantGraph.ReadCheckpoint(buffer.WrittenSpan, SmallOptions));
        Assert.Equal(CheckpointRejection.Malformed, error.Reason);
    }

    [Fact]
    public void A_refused_engine_checkpoint_leaves_the_graph_it_was_meant_for_as_it_was()
    {
        var state = SmallState();
        var engineCheckpoint = Bytes(state.Engine.WriteCheckpoint);
        var graph = MerchantGraph.ReadCheckpoint(Bytes(state.Graph.WriteCheckpoint), SmallOptions);
        var graphBefore = Bytes(graph.WriteCheckpoint);
        var awaiting = graph.RestoredCardsAwaitingEngine;
        Assert.True(awaiting > 0); // the index holds cards that only the engine's checkpoint fills

        var corrupt = (byte[])engineCheckpoint.Clone();
        corrupt[corrupt.Length / 2] ^= 1;
        Assert.Throws<CheckpointRejectedException>(() => FeatureEngine.ReadCheckpoint(corrupt, graph));
        Assert.Throws<CheckpointRejectedException>(() => FeatureEngine.ReadCheckpoint(engineCheckpoint.AsSpan(0, engineCheckpoint.Length - 1), graph));

        Assert.Equal(awaiting, graph.RestoredCardsAwaitingEngine);
        Assert.Equal(graphBefore, Bytes(graph.WriteCheckpoint));

        // The intact checkpoint still restores into it, and finds every card the index was waiting for.
        var engine = FeatureEngine.ReadCheckpoint(engineCheckpoint, graph);
        Assert.Equal(state.Engine.CardCount, engine.CardCount);
        Assert.Equal(0, graph.RestoredCardsAwaitingEngine);
    }

    [Fact]
    public void A_checkpoint_describes_itself_for_the_store()
    {
        var checkpoint = Bytes(SmallState().WriteCheckpoint);
        var info = FeatureCheckpoint.Describe(checkpoint);

        Assert.Equal(CheckpointKind.Replay, info.Kind);
        Assert.Equal(FeatureCheckpoint.FormatVersion, info.FormatVersion);
        Assert.Equal(FeatureSchema.Version, info.SchemaVersion);
        Assert.Equal(checkpoint.Length - 8 - FeatureSchema.Version.Length - 12, info.PayloadLength);
        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(checkpoint.AsSpan(checkpoint.Length - 4)), info.Checksum);
        Assert.Throws<CheckpointRejectedException>(() => FeatureCheckpoint.Describe(checkpoint.AsSpan(1)));
    }
}
