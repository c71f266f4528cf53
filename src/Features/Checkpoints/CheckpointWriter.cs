using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace FraudStream.Features.Checkpoints;

/// <summary>
/// Appends little-endian values to an <see cref="IBufferWriter{T}"/> in large chunks, keeping the running
/// checksum of everything committed. Integers that are usually small (counts, time differences) go as LEB128
/// varints, signed ones zigzagged; doubles as their exact bits. Used by reference (<c>ref CheckpointWriter</c>).
/// </summary>
internal ref struct CheckpointWriter
{
    private const int ChunkBytes = 1 << 16;
    private const int MaxVarIntBytes = 10;

    private readonly IBufferWriter<byte> _output;
    private Span<byte> _span;
    private int _used;
    private uint _crc;
    private long _committed;

    public CheckpointWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _crc = Crc32C.Seed;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly long Position => _committed + _used;

    public void WriteByte(byte value)
    {
        Reserve(1)[0] = value;
        _used++;
    }

    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), value);
        _used += 2;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);
        _used += 4;
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);
        _used += 8;
    }

    public void WriteInt64(long value) => WriteUInt64((ulong)value);

    /// <summary>The exact bits, NaN payloads included.</summary>
    public void WriteDouble(double value) => WriteUInt64((ulong)BitConverter.DoubleToInt64Bits(value));

    public void WriteVarUInt(ulong value)
    {
        var span = Reserve(MaxVarIntBytes);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        _used += i;
    }

    /// <summary>Zigzag (0, -1, 1, -2 → 0, 1, 2, 3) then varint: small magnitudes of either sign stay short.</summary>
    public void WriteVarInt(long value) => WriteVarUInt((ulong)((value << 1) ^ (value >> 63)));

    /// <summary>A count or index (never negative).</summary>
    public void WriteCount(int value) => WriteVarUInt((uint)value);

    public void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var span = Reserve(Math.Min(bytes.Length, ChunkBytes));
            var part = Math.Min(bytes.Length, span.Length);
            bytes[..part].CopyTo(span);
            _used += part;
            bytes = bytes[part..];
        }
    }

    /// <summary>UTF-8, after its byte length.</summary>
    public void WriteString(string value)
    {
        var bytes = Encoding.UTF8.GetByteCount(value);
        WriteCount(bytes);
        if (bytes <= ChunkBytes)
        {
            // Reserve first: it may commit and reset _used, which `_used += GetBytes(value, Reserve(bytes))` would
            // already have read (C# evaluates the left operand first), counting the old span's tail twice.
            var span = Reserve(bytes);
            _used += Encoding.UTF8.GetBytes(value, span);
            return;
        }

        WriteBytes(Encoding.UTF8.GetBytes(value));
    }

    /// <summary>Commits everything, then writes the checksum of all of it (the checksum itself is not covered) and commits that.</summary>
    public void FinishWithChecksum()
    {
        Commit();
        var checksum = Crc32C.Finish(_crc);
        var span = _output.GetSpan(4);
        BinaryPrimitives.WriteUInt32LittleEndian(span, checksum);
        _output.Advance(4);
        _committed += 4;
        _span = default;
    }

    private Span<byte> Reserve(int bytes)
    {
        if (_span.Length - _used < bytes)
        {
            Commit();
            _span = _output.GetSpan(Math.Max(bytes, ChunkBytes));
        }

        return _span[_used..];
    }

    private void Commit()
    {
        if (_used > 0)
        {
            _crc = Crc32C.Update(_crc, _span[.._used]);
            _output.Advance(_used);
            _committed += _used;
        }

        _span = default;
        _used = 0;
    }
}
