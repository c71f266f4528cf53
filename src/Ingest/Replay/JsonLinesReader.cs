using System.Text.Json;
using FraudStream.Core.Contracts;

namespace FraudStream.Ingest.Replay;

/// <summary>
/// Reads JSON lines, plain or gzip: each line is a transaction in the <c>transactions</c> contract
/// (parsed by <see cref="TransactionJson.TryParse"/>) or a label wrapped as <c>{"label":{...}}</c>
/// in the <c>labels</c> contract (what <see cref="JsonLinesWriter"/> writes). Blank lines are skipped;
/// anything else invalid is a bad row with its line number and the parser's reason.
/// </summary>
public sealed class JsonLinesReader : IReplaySource
{
    private readonly int _maxLineBytes;

    public JsonLinesReader(string path, int maxBadRowsKept = 100, int maxLineBytes = 1 << 20)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1024);
        Path = path;
        _maxLineBytes = maxLineBytes;
        Stats = new ReplayStats(maxBadRowsKept);
    }

    public string Path { get; }

    public ReplayStats Stats { get; }

    public IEnumerable<ReplayRecord> Read(CancellationToken cancellationToken = default)
    {
        Stats.Reset();
        using var lines = new Utf8LineReader(ReplayFile.Open(Path), _maxLineBytes);
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!TryReadRecord(lines, out var record, out var end))
            {
                if (end)
                {
                    break;
                }

                continue;
            }

            Stats.Count(record);
            yield return record;
        }
    }

    /// <summary>Parses one line; false with <paramref name="end"/> at the end, false without it for a blank line.</summary>
    private static bool TryReadRecord(Utf8LineReader lines, out ReplayRecord record, out bool end)
    {
        record = default;
        end = false;
        if (!lines.TryReadLine(out var line, out var tooLong))
        {
            end = true;
            return false;
        }

        var number = lines.LineNumber;
        if (tooLong)
        {
            record = ReplayRecord.ForBadRow(number, $"line is longer than {lines.MaxLineBytes} bytes");
            return true;
        }

        var trimmed = line.Trim(" \t"u8);
        if (trimmed.IsEmpty)
        {
            return false;
        }

        if (IsLabelLine(trimmed))
        {
            record = ParseLabel(number, trimmed);
            return true;
        }

        var tx = new Transaction();
        record = TransactionJson.TryParse(trimmed, tx, out var error)
            ? ReplayRecord.ForTransaction(number, tx, null)
            : ReplayRecord.ForBadRow(number, error.ToString());
        return true;
    }

    private static bool IsLabelLine(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty || line[0] != (byte)'{')
        {
            return false;
        }

        return line[1..].TrimStart(" \t"u8).StartsWith("\"label\""u8);
    }

    private static ReplayRecord ParseLabel(long number, ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 8 });
            reader.Read();
            reader.Read();
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return ReplayRecord.ForBadRow(number, "label must be an object");
            }

            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var inner = line[start..(int)reader.BytesConsumed];
            if (!reader.Read() || reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return ReplayRecord.ForBadRow(number, "a label line holds only {\"label\":{...}}");
            }

            return LabelJson.TryParse(inner, out var label, out var error)
                ? ReplayRecord.ForLabel(number, label!)
                : ReplayRecord.ForBadRow(number, error ?? "invalid label");
        }
        catch (JsonException ex)
        {
            // Malformed JSON only: rare, never the hot path.
            var message = ex.Message;
            var newline = message.IndexOf('\n', StringComparison.Ordinal);
            return ReplayRecord.ForBadRow(number, "invalid JSON: " + (newline < 0 ? message : message[..newline]));
        }
    }
}
