namespace FraudStream.Ingest.Replay;

/// <summary>
/// Splits a stream into lines of raw UTF-8 without decoding them (the JSON parser wants bytes).
/// Accepts \n and \r\n, drops a leading byte-order mark, and skips over lines longer than the
/// limit instead of buffering them without bound.
/// </summary>
internal sealed class Utf8LineReader : IDisposable
{
    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _start;
    private int _scanned;
    private int _end;
    private bool _endOfStream;

    public Utf8LineReader(Stream stream, int maxLineBytes = 1 << 20)
    {
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _buffer = new byte[Math.Min(1 << 16, maxLineBytes)];
    }

    /// <summary>1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    public int MaxLineBytes => _maxLineBytes;

    /// <summary>
    /// The next line, valid until the next call; false at the end. <paramref name="tooLong"/> says the
    /// line exceeded <see cref="MaxLineBytes"/>: it was skipped and <paramref name="line"/> is empty.
    /// </summary>
    public bool TryReadLine(out ReadOnlySpan<byte> line, out bool tooLong)
    {
        tooLong = false;
        while (true)
        {
            var newline = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var stop = _scanned + newline;
                line = tooLong ? default : Trim(_buffer.AsSpan(_start, stop - _start));
                _start = stop + 1;
                _scanned = _start;
                LineNumber++;
                return true;
            }

            _scanned = _end;
            if (_endOfStream)
            {
                if (_start < _end || tooLong)
                {
                    line = tooLong ? default : Trim(_buffer.AsSpan(_start, _end - _start));
                    _start = _end;
                    _scanned = _end;
                    LineNumber++;
                    return true;
                }

                line = default;
                return false;
            }

            MakeRoom(ref tooLong);
            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _endOfStream = true;
            }
            else
            {
                _end += read;
            }
        }
    }

    public void Dispose() => _stream.Dispose();

    private void MakeRoom(ref bool tooLong)
    {
        if (tooLong)
        {
            // Skipping an overlong line: nothing before the next newline is kept.
            _start = _scanned = _end = 0;
            return;
        }

        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _scanned -= _start;
            _start = 0;
        }

        if (_end < _buffer.Length)
        {
            return;
        }

        if (_buffer.Length >= _maxLineBytes)
        {
            tooLong = true;
            _start = _scanned = _end = 0;
            return;
        }

        Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, _maxLineBytes));
    }

    private ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> line)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (LineNumber == 0 && line.StartsWith("\uFEFF"u8))
        {
            line = line[3..];
        }

        return line;
    }
}
