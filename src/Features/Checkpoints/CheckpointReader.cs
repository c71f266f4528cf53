using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace FraudStream.Features.Checkpoints;

/// <summary>
/// Reads what <see cref="CheckpointWriter"/> wrote, from a payload whose checksum has already been checked;
/// a read past the end (which a checked payload cannot cause unless its writer was wrong) throws
/// <see cref="CheckpointRejectedException"/> (<see cref="CheckpointRejection.Malformed"/>). Used by reference.
/// </summary>
internal ref struct CheckpointReader(ReadOnlySpan<byte> payload)
{
    private readonly ReadOnlySpan<byte> _payload = payload;
    private int _position;

    public readonly bool AtEnd => _position == _payload.Length;

    public byte ReadByte()
    {
        if (_position >= _payload.Length)
        {
            ThrowMalformed("the payload ends early");
        }

        return _payload[_position++];
    }

    public bool ReadBoolean() => ReadByte() switch
    {
        0 => false,
        1 => true,
        _ => ThrowMalformed<bool>("a flag is neither 0 nor 1"),
    };

    public ulong ReadUInt64()
    {
        var value = BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
        return value;
    }

    public long ReadInt64() => (long)ReadUInt64();

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public double ReadDouble() => BitConverter.Int64BitsToDouble((long)ReadUInt64());

    public ulong ReadVarUInt()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        return ThrowMalformed<ulong>("a varint runs past 64 bits");
    }

    public long ReadVarInt()
    {
        var zigzag = ReadVarUInt();
        return (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
    }

    /// <summary>A count or index, at most <paramref name="max"/>.</summary>
    public int ReadCount(int max = int.MaxValue)
    {
        var value = ReadVarUInt();
        if (value > (ulong)max)
        {
            ThrowMalformed($"a count of {value} is over its limit of {max}");
        }

        return (int)value;
    }

    /// <summary>
    /// How many elements follow, each of at least one byte, so never more than the bytes left: a count can never
    /// make a restore allocate more than its checkpoint could describe.
    /// </summary>
    public int ReadLength() => ReadCount(_payload.Length - _position);

    public void ReadBytes(scoped Span<byte> destination) => Take(destination.Length).CopyTo(destination);

    public string ReadString()
    {
        var length = ReadCount(_payload.Length - _position);
        return length == 0 ? string.Empty : Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>Fails unless every byte was read: a payload with bytes left over was not written for this reader.</summary>
    public readonly void ExpectEnd()
    {
        if (!AtEnd)
        {
            ThrowMalformed($"{_payload.Length - _position} bytes are left over");
        }
    }

    [DoesNotReturn]
    public static void ThrowMalformed(string detail) =>
        throw new CheckpointRejectedException(CheckpointRejection.Malformed, "the checkpoint's payload is malformed: " + detail);

    [DoesNotReturn]
    public static T ThrowMalformed<T>(string detail)
    {
        ThrowMalformed(detail);
        return default;
    }

    private ReadOnlySpan<byte> Take(int bytes)
    {
        if (bytes > _payload.Length - _position)
        {
            ThrowMalformed("the payload ends early");
        }

        var span = _payload.Slice(_position, bytes);
        _position += bytes;
        return span;
    }
}
