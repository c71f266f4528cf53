using System.Buffers;
using FraudStream.Features.Checkpoints;

namespace FraudStream.Features.Tests;

/// <summary>
/// The writer across the ends of its output's spans: every value, whatever its kind, reads back as written when it
/// is the one that finds the current span full (the writer then commits and asks for a new one). A string once did
/// not: its length was added to a count read before the span was replaced, so the bytes of the old span's tail were
/// counted twice and the new span's stale contents committed — with a valid checksum (docs/STATE.md).
/// </summary>
public sealed class CheckpointWriterTests
{
    // The writer's chunk: it asks its output for at least this much (CheckpointWriter.ChunkBytes).
    private const int Chunk = 1 << 16;

    [Theory]
    [InlineData(10)] // room for the length's varint (the writer reserves 10 bytes for one), not for the text
    [InlineData(11)]
    [InlineData(40)]
    [InlineData(120)] // (a text under 128 bytes: its length is one byte)
    public void A_string_that_finds_the_span_full_is_read_back_as_written(int roomLeft)
    {
        var output = new ExactSpanBufferWriter(garbage: 0xA5);
        var writer = new CheckpointWriter(output);
        var filler = Chunk - roomLeft;
        for (var i = 0; i < filler; i++)
        {
            writer.WriteByte((byte)(i % 100));
        }

        var key = new string('k', roomLeft + 5); // one byte of length, then more than the room left
        writer.WriteString(key);
        writer.WriteUInt64(0x1122334455667788);
        writer.WriteString("after");
        writer.FinishWithChecksum();

        var payload = output.Written[..^4];
        Assert.Equal(filler + 1 + key.Length + 8 + 1 + 5, payload.Length);
        var reader = new CheckpointReader(payload);
        for (var i = 0; i < filler; i++)
        {
            Assert.Equal((byte)(i % 100), reader.ReadByte());
        }

        Assert.Equal(key, reader.ReadString());
        Assert.Equal(0x1122334455667788UL, reader.ReadUInt64());
        Assert.Equal("after", reader.ReadString());
        reader.ExpectEnd();
    }

    [Fact]
    public void Every_kind_of_value_read_back_as_written_at_every_offset_of_a_span_end()
    {
        // Each value in turn is the one that meets the span's end, at each offset it can meet it (a string longer than the
        // 10 bytes reserved for its length, as card tokens are).
        for (var shift = 0; shift < 24; shift++)
        {
            var output = new ExactSpanBufferWriter(garbage: 0x5A);
            var writer = new CheckpointWriter(output);
            for (var i = 0; i < Chunk - 24 + shift; i++)
            {
                writer.WriteByte(7);
            }

            for (var round = 0; round < 3; round++)
            {
                writer.WriteString("tok-0123456789abcdefghij");
                writer.WriteVarInt(-123_456_789);
                writer.WriteUInt64(ulong.MaxValue - 1);
                writer.WriteCount(300);
                writer.WriteDouble(Math.PI);
                writer.WriteUInt32(0xDEADBEEF);
                writer.WriteUInt16(0xBEEF);
                writer.WriteBytes([1, 2, 3]);
            }

            writer.FinishWithChecksum();
            var reader = new CheckpointReader(output.Written[..^4]);
            for (var i = 0; i < Chunk - 24 + shift; i++)
            {
                Assert.Equal(7, reader.ReadByte());
            }

            for (var round = 0; round < 3; round++)
            {
                Assert.Equal("tok-0123456789abcdefghij", reader.ReadString());
                Assert.Equal(-123_456_789, reader.ReadVarInt());
                Assert.Equal(ulong.MaxValue - 1, reader.ReadUInt64());
                Assert.Equal(300, reader.ReadCount());
                Assert.Equal(Math.PI, reader.ReadDouble());
                Assert.Equal(0xDEADBEEF, reader.ReadUInt32());
                Assert.Equal((ushort)0xBEEF, (ushort)(reader.ReadByte() | (reader.ReadByte() << 8)));
                Assert.Equal(1, reader.ReadByte());
                Assert.Equal(2, reader.ReadByte());
                Assert.Equal(3, reader.ReadByte());
            }

            reader.ExpectEnd();
        }
    }
}
