using System.Buffers;

namespace FraudStream.Features.Tests;

/// <summary>
/// An output that hands out exactly the span asked for, each new one full of <paramref name="garbage"/> (as a reused
/// buffer holds an older checkpoint's bytes): a writer meets the end of a span every chunk, where an
/// <see cref="ArrayBufferWriter{T}"/> hands out all its free room and is met only when it grows, and a writer that
/// commits what it did not write is seen.
/// </summary>
internal sealed class ExactSpanBufferWriter(byte garbage) : IBufferWriter<byte>
{
    private byte[] _buffer = [];
    private int _written;
    private int _handedOut;

    public byte[] Written => _buffer.AsSpan(0, _written).ToArray();

    public void Advance(int count)
    {
        if (count < 0 || count > _handedOut)
        {
            throw new InvalidOperationException($"advanced {count} past the {_handedOut} bytes handed out");
        }

        _written += count;
        _handedOut = 0;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => throw new NotSupportedException();

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        var size = Math.Max(1, sizeHint);
        if (_buffer.Length < _written + size)
        {
            Array.Resize(ref _buffer, Math.Max(_written + size, _buffer.Length * 2));
        }

        _buffer.AsSpan(_written).Fill(garbage);
        _handedOut = size;
        return _buffer.AsSpan(_written, size);
    }
}
