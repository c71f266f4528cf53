using System.Text;

namespace FraudStream.Training.Compilation.Onnx;

/// <summary>The few protobuf wire-format primitives ONNX messages need (varint, fixed32, length-delimited).</summary>
internal sealed class ProtoWriter
{
    private const int WireVarint = 0;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    private readonly MemoryStream _stream = new();

    public byte[] ToArray() => _stream.ToArray();

    public void Varint(int field, long value)
    {
        Tag(field, WireVarint);
        RawVarint((ulong)value);
    }

    public void Fixed32(int field, float value)
    {
        Tag(field, WireFixed32);
        Span<byte> bytes = stackalloc byte[4];
        BitConverter.TryWriteBytes(bytes, value);
        _stream.Write(bytes);
    }

    public void String(int field, string? value)
    {
        if (value is not null)
        {
            Bytes(field, Encoding.UTF8.GetBytes(value));
        }
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireLengthDelimited);
        RawVarint((ulong)value.Length);
        _stream.Write(value);
    }

    public void Message(int field, IProtoMessage message)
    {
        var inner = new ProtoWriter();
        message.WriteTo(inner);
        Bytes(field, inner.ToArray());
    }

    private void Tag(int field, int wireType) => RawVarint((ulong)((field << 3) | wireType));

    private void RawVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        _stream.WriteByte((byte)value);
    }
}

internal interface IProtoMessage
{
    void WriteTo(ProtoWriter writer);
}
