using System.Buffers;

namespace FraudStream.Features.Checkpoints;

/// <summary>The <see cref="Stream"/> ends of checkpoints: written through a fixed buffer, read whole (the checksum needs every byte).</summary>
internal static class CheckpointStreams
{
    public static void Write(Stream destination, Action<IBufferWriter<byte>> write)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var buffered = new StreamBufferWriter(destination);
        write(buffered);
        buffered.Flush();
    }

    public static byte[] ReadAll(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.CanSeek)
        {
            var bytes = new byte[checked((int)(source.Length - source.Position))];
            source.ReadExactly(bytes);
            return bytes;
        }

        using var copy = new MemoryStream();
        source.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> over a stream: fills a pooled buffer, writes it out when full.</summary>
    private sealed class StreamBufferWriter(Stream destination) : IBufferWriter<byte>, IDisposable
    {
        private const int BufferBytes = 1 << 17;
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        private int _used;

        public void Advance(int count) => _used += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsMemory(_used);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsSpan(_used);
        }

        public void Flush()
        {
            destination.Write(_buffer, 0, _used);
            _used = 0;
            destination.Flush();
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        private void Ensure(int sizeHint)
        {
            var needed = Math.Max(sizeHint, 1);
            if (_buffer.Length - _used >= needed)
            {
                return;
            }

            destination.Write(_buffer, 0, _used);
            _used = 0;
            if (_buffer.Length < needed)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(needed);
            }
        }
    }
}
