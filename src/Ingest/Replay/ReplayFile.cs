using System.IO.Compression;

namespace FraudStream.Ingest.Replay;

/// <summary>Opens replay files, compressed or not: gzip is recognised by its magic bytes, never by the name.</summary>
public static class ReplayFile
{
    private const int BufferSize = 1 << 16;

    /// <summary>Opens the file for sequential reading, decompressing when it starts with 1f 8b.</summary>
    public static Stream Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        try
        {
            return Decompressing(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Returns a stream of the content: <paramref name="seekable"/> itself rewound, or a gzip reader
    /// over it when it starts with the gzip magic. Disposing the result disposes the input.
    /// </summary>
    public static Stream Decompressing(Stream seekable)
    {
        ArgumentNullException.ThrowIfNull(seekable);
        if (!seekable.CanSeek)
        {
            throw new ArgumentException("the stream must be seekable to sniff its format", nameof(seekable));
        }

        var start = seekable.Position;
        Span<byte> magic = stackalloc byte[2];
        var read = seekable.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        seekable.Position = start;
        return IsGzip(magic[..read]) ? new GZipStream(seekable, CompressionMode.Decompress, leaveOpen: false) : seekable;
    }

    public static bool IsGzip(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b;
}
