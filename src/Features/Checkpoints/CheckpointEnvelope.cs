using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using FraudStream.Features.Schema;

namespace FraudStream.Features.Checkpoints;

/// <summary>What state a checkpoint holds.</summary>
public enum CheckpointKind : byte
{
    /// <summary>One <see cref="Engine.FeatureEngine"/>'s cards (one Kafka partition's).</summary>
    Engine = 1,

    /// <summary>A <see cref="Graph.MerchantGraph"/>: merchants, devices, categories, the label index.</summary>
    Graph = 2,

    /// <summary>A <see cref="Replay.FeatureReplay"/>: its graph, its engine and the labels not yet due.</summary>
    Replay = 3,

    /// <summary>A <see cref="Stage.FeatureStage"/>: its graph and one engine per Kafka partition.</summary>
    Partitioned = 4,
}

/// <summary>The envelope of a checkpoint, as <see cref="FeatureCheckpoint.Describe"/> reads it after checking it whole.</summary>
public readonly record struct CheckpointInfo(CheckpointKind Kind, int FormatVersion, string SchemaVersion, long PayloadLength, uint Checksum);

/// <summary>
/// The checkpoint envelope, little-endian:
/// <code>
/// "FSCK" | format version u16 | kind u8 | schema version (u8 length, UTF-8) | payload | payload length i64 | CRC-32C u32
/// </code>
/// The length and checksum trail the payload so that a checkpoint is written in one pass, straight into its
/// destination; the checksum covers every byte before it. <see cref="Open"/> checks all of it before the
/// payload is read, so a cut, extended or altered checkpoint is refused before any state is built.
/// </summary>
internal static class CheckpointEnvelope
{
    /// <summary>
    /// 2 (2026-12-03): a card's day ring as <see cref="Engine.CardDayBuckets"/> writes it (the days still inside the
    /// window, by age). 1: every used slot with its day and a reported-fraud count. A version-1 checkpoint is refused
    /// (<see cref="CheckpointRejection.UnsupportedFormat"/>) and the state rebuilt by a replay.
    /// </summary>
    public const ushort FormatVersion = 2;
    private const int TrailerBytes = 12;
    private const int FixedHeaderBytes = 8;
    private static readonly byte[] Magic = "FSCK"u8.ToArray();

    public static CheckpointWriter Begin(IBufferWriter<byte> output, CheckpointKind kind, out long payloadStart) =>
        Begin(output, kind, FeatureSchema.Version, out payloadStart);

    /// <summary>Writes the header (with <paramref name="schemaVersion"/>; tests pass another) and returns the payload's writer.</summary>
    public static CheckpointWriter Begin(IBufferWriter<byte> output, CheckpointKind kind, string schemaVersion, out long payloadStart)
    {
        var schema = Encoding.UTF8.GetBytes(schemaVersion);
        if (schema.Length > byte.MaxValue)
        {
            throw new ArgumentException("a schema version is at most 255 UTF-8 bytes", nameof(schemaVersion));
        }

        var writer = new CheckpointWriter(output);
        writer.WriteBytes(Magic);
        writer.WriteUInt16(FormatVersion);
        writer.WriteByte((byte)kind);
        writer.WriteByte((byte)schema.Length);
        writer.WriteBytes(schema);
        payloadStart = writer.Position;
        return writer;
    }

    public static void End(ref CheckpointWriter writer, long payloadStart)
    {
        writer.WriteInt64(writer.Position - payloadStart);
        writer.FinishWithChecksum();
    }

    /// <summary>Checks the whole envelope and returns the payload; throws <see cref="CheckpointRejectedException"/> on any fault.</summary>
    public static ReadOnlySpan<byte> Open(ReadOnlySpan<byte> checkpoint, CheckpointKind expected)
    {
        var info = Check(checkpoint, out var payload);
        if (info.Kind != expected)
        {
            throw new CheckpointRejectedException(
                CheckpointRejection.WrongKind, $"a checkpoint of kind {info.Kind} cannot be restored as {expected}");
        }

        return payload;
    }

    public static CheckpointInfo Check(ReadOnlySpan<byte> checkpoint, out ReadOnlySpan<byte> payload)
    {
        if (checkpoint.Length < FixedHeaderBytes + TrailerBytes || !checkpoint[..Magic.Length].SequenceEqual(Magic))
        {
            throw new CheckpointRejectedException(CheckpointRejection.NotACheckpoint,
                $"{checkpoint.Length} bytes that do not start as a feature checkpoint");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(checkpoint[4..]);
        if (version != FormatVersion)
        {
            throw new CheckpointRejectedException(CheckpointRejection.UnsupportedFormat,
                $"checkpoint format version {version}; this build reads version {FormatVersion}");
        }

        var kind = (CheckpointKind)checkpoint[6];
        if (!Enum.IsDefined(kind))
        {
            throw new CheckpointRejectedException(CheckpointRejection.WrongKind, $"unknown checkpoint kind {(byte)kind}");
        }

        var headerBytes = FixedHeaderBytes + checkpoint[7];
        if (headerBytes + TrailerBytes > checkpoint.Length)
        {
            throw new CheckpointRejectedException(CheckpointRejection.Truncated,
                $"{checkpoint.Length} bytes cannot hold the header and trailer ({headerBytes + TrailerBytes} bytes)");
        }

        var schema = Encoding.UTF8.GetString(checkpoint[FixedHeaderBytes..headerBytes]);
        if (schema != FeatureSchema.Version)
        {
            throw new CheckpointRejectedException(CheckpointRejection.SchemaMismatch,
                $"the checkpoint holds state for feature schema '{schema}'; this build computes '{FeatureSchema.Version}'");
        }

        var trailer = checkpoint.Length - TrailerBytes;
        var declared = BinaryPrimitives.ReadInt64LittleEndian(checkpoint[trailer..]);
        var actual = trailer - headerBytes;
        if (declared != actual)
        {
            throw new CheckpointRejectedException(CheckpointRejection.Truncated,
                $"the payload is {actual} bytes but the checkpoint declares {declared}");
        }

        var written = BinaryPrimitives.ReadUInt32LittleEndian(checkpoint[(checkpoint.Length - 4)..]);
        var computed = Crc32C.Of(checkpoint[..^4]);
        if (written != computed)
        {
            throw new CheckpointRejectedException(CheckpointRejection.ChecksumMismatch,
                $"checksum {computed:x8} of the bytes does not match the {written:x8} written with them");
        }

        payload = checkpoint[headerBytes..trailer];
        return new CheckpointInfo(kind, version, schema, actual, written);
    }
}
