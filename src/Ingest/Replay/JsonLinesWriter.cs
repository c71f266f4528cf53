using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Simulation;

namespace FraudStream.Ingest.Replay;

/// <summary>
/// Writes a stream as JSON lines that <see cref="JsonLinesReader"/> reads back: one transaction per
/// line in the <c>transactions</c> contract, and labels in the same file, in stream order, as
/// <c>{"label":{"id":…,"fraud":…,"reported_at":…}}</c> lines (the <c>labels</c> contract wrapped in
/// one property so a line is never mistaken for a transaction). Ground truth and scenario names are
/// not written: only what a bank would see. <see cref="Create"/> gzips when the path ends in .gz.
/// Not thread-safe.
/// </summary>
public sealed class JsonLinesWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _json;

    public JsonLinesWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _json = new Utf8JsonWriter(_buffer);
    }

    public long TransactionsWritten { get; private set; }

    public long LabelsWritten { get; private set; }

    /// <summary>Creates or overwrites the file; gzip (fastest level) when the name ends in .gz.</summary>
    public static JsonLinesWriter Create(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Stream file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            file = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: false);
        }

        return new JsonLinesWriter(file);
    }

    /// <summary>Writes all events to a new file; returns (transactions, labels) written.</summary>
    public static (long Transactions, long Labels) WriteAll(string path, IEnumerable<SimulatedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        using var writer = Create(path);
        foreach (var e in events)
        {
            writer.Write(e);
        }

        return (writer.TransactionsWritten, writer.LabelsWritten);
    }

    public void Write(in SimulatedEvent simulated)
    {
        if (simulated.IsTransaction)
        {
            WriteTransaction(simulated.Transaction);
        }
        else if (simulated.IsLabel)
        {
            WriteLabel(simulated.Label);
        }
    }

    /// <summary>Writes a replayed record: the transaction, then its attached label if any; bad rows are skipped.</summary>
    public void Write(in ReplayRecord record)
    {
        if (record.IsTransaction)
        {
            WriteTransaction(record.Transaction);
        }

        if (record.Label is { } label)
        {
            WriteLabel(label);
        }
    }

    public void WriteTransaction(Transaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        _json.Reset(_buffer);
        TransactionJson.Write(_json, transaction);
        _json.Flush();
        _stream.Write(_buffer.WrittenSpan);
        _stream.WriteByte((byte)'\n');
        _buffer.ResetWrittenCount();
        TransactionsWritten++;
    }

    public void WriteLabel(Label label)
    {
        ArgumentNullException.ThrowIfNull(label);
        _stream.Write("{\"label\":"u8);
        _stream.Write(LabelJson.Serialize(label));
        _stream.Write("}\n"u8);
        LabelsWritten++;
    }

    public void Flush() => _stream.Flush();

    public void Dispose()
    {
        _json.Dispose();
        _stream.Flush();
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }
}
