using System.Globalization;
using System.Text;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Replay;
using FraudStream.Ingest.Simulation;

namespace FraudStream.Ingest.Conversion;

/// <summary>What <c>fraudstream convert</c> takes besides the mapping.</summary>
public sealed class CsvConvertOptions
{
    public char Delimiter { get; init; } = ',';

    /// <summary>The character that encloses a field (BankSim: <c>'</c>).</summary>
    public char Quote { get; init; } = '"';

    /// <summary>The first non-blank line names the columns.</summary>
    public bool Header { get; init; } = true;

    /// <summary>Without an id column, a row's id is PREFIX-LINE (BankSim's reader: bs-LINE).</summary>
    public string IdPrefix { get; init; } = "row";

    /// <summary>Day 0 of a <c>ts=COLUMN|days</c> column (BankSim's reader: local midnight, 2026-10-31T23:00Z).</summary>
    public DateTime? TimeOrigin { get; init; }

    /// <summary>Without a reported_at column, a label is reported this many days after its transaction (uniform, from the row hash).</summary>
    public double MinLabelDelayDays { get; init; } = 1;

    public double MaxLabelDelayDays { get; init; } = 20;

    public int MaxBadRowsKept { get; init; } = 100;

    public int MaxLineBytes { get; init; } = 1 << 20;

    public void Validate()
    {
        if (Delimiter == Quote || Delimiter is '\r' or '\n' || Quote is '\r' or '\n')
        {
            throw new ArgumentException("the delimiter and the quote must be two different characters, neither a line break");
        }

        if (MinLabelDelayDays < 0 || MaxLabelDelayDays < MinLabelDelayDays)
        {
            throw new ArgumentException("the label delay must be MIN..MAX days with 0 <= MIN <= MAX");
        }

        if (TimeOrigin is { Kind: not DateTimeKind.Utc })
        {
            throw new ArgumentException("the time origin must be UTC");
        }
    }
}

/// <summary>The counts of one conversion and the first bad rows, with their line numbers.</summary>
public sealed record CsvConversionResult(long Rows, long Transactions, long Labels, long Bad, IReadOnlyList<BadRow> FirstBadRows);

/// <summary>
/// CSV → contract JSON lines (what <c>train --source jsonl</c>, <c>evaluate --format jsonl</c> and <c>replay</c> read):
/// each row becomes a transaction, checked by the contract's own parser (a row it refuses is a bad row with its line
/// number and reason), and, with a fraud column, a label. The rows are sorted by time (then line) in memory, and each
/// label is written where a bank would see it: at its reported time (<see cref="ReplayTimeline"/>).
/// Card numbers are written as given: the service tokenises them when it reads them.
/// </summary>
public static class CsvConverter
{
    public static CsvConversionResult Convert(string inputPath, string outputPath, CsvMapping mapping, CsvConvertOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputPath);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (mapping[MappedField.Ts]?.Time == TimeFormat.Days && options.TimeOrigin is null)
        {
            throw new ArgumentException("ts=COLUMN|days needs --time-origin (the UTC instant day 0 starts)");
        }

        var stats = new ReplayStats(options.MaxBadRowsKept);
        var rows = Read(inputPath, mapping, options, stats);
        rows.Sort(static (a, b) => a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Record.LineNumber.CompareTo(b.Record.LineNumber));
        using var writer = JsonLinesWriter.Create(outputPath);
        foreach (var record in ReplayTimeline.InEventTimeOrder(Records(rows)))
        {
            writer.Write(record);
        }

        return new CsvConversionResult(stats.Rows, writer.TransactionsWritten, writer.LabelsWritten, stats.Bad, stats.FirstBadRows);
    }

    private static IEnumerable<ReplayRecord> Records(List<TimedRecord> rows)
    {
        foreach (var row in rows)
        {
            yield return row.Record;
        }
    }

    private static List<TimedRecord> Read(string inputPath, CsvMapping mapping, CsvConvertOptions options, ReplayStats stats)
    {
        var rows = new List<TimedRecord>();
        using var lines = new Utf8LineReader(ReplayFile.Open(inputPath), options.MaxLineBytes);
        var pool = new StringPool(1 << 20);
        var fields = new List<string>(16);
        var scratch = new StringBuilder();
        var row = new RowConverter(mapping, options, pool);
        var resolved = false;
        while (lines.TryReadLine(out var bytes, out var tooLong))
        {
            var number = lines.LineNumber;
            if (tooLong)
            {
                stats.Count(ReplayRecord.ForBadRow(number, $"line is longer than {lines.MaxLineBytes} bytes"));
                continue;
            }

            if (bytes.Trim(" \t"u8).IsEmpty)
            {
                continue;
            }

            var line = Encoding.UTF8.GetString(bytes);
            if (!CsvFields.TrySplit(line, options.Delimiter, options.Quote, fields, scratch, out var problem))
            {
                if (!resolved)
                {
                    throw new InvalidDataException($"line {number}: {problem}");
                }

                stats.Count(ReplayRecord.ForBadRow(number, problem));
                continue;
            }

            if (!resolved)
            {
                resolved = true;
                if (!mapping.Resolve(options.Header ? fields : null, fields.Count, out var problems))
                {
                    throw new InvalidDataException(string.Join(Environment.NewLine, problems));
                }

                row.Columns = fields.Count;
                if (options.Header)
                {
                    continue;
                }
            }

            var record = row.TryConvert(fields, number, out var ticks, out var reason)
                ? ReplayRecord.ForTransaction(number, row.Transaction!, row.Label)
                : ReplayRecord.ForBadRow(number, reason);
            stats.Count(record);
            if (!record.IsBad)
            {
                rows.Add(new TimedRecord(ticks, record));
            }
        }

        return rows;
    }

    private readonly record struct TimedRecord(long Ticks, ReplayRecord Record);

    /// <summary>One row's fields → a transaction the contract accepts (and its label), or the reason it is refused.</summary>
    private sealed class RowConverter(CsvMapping mapping, CsvConvertOptions options, StringPool pool)
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _json = new(512);

        public int Columns { get; set; }

        public Transaction? Transaction { get; private set; }

        public Label? Label { get; private set; }

        public bool TryConvert(List<string> fields, long line, out long ticks, out string problem)
        {
            ticks = 0;
            Transaction = null;
            Label = null;
            if (fields.Count != Columns)
            {
                problem = $"expected {Columns} columns, found {fields.Count}";
                return false;
            }

            var card = Text(MappedField.Card, fields) ?? "";
            // The row's hash (as BankSim's reader draws it) places a day-index row in its day and dates its label.
            var hash = StableHash.Of(Encoding.UTF8.GetBytes(card), line);
            if (!TryTime(mapping[MappedField.Ts]!, fields, hash, out var ts, out problem))
            {
                return false;
            }

            var draft = new Transaction
            {
                Id = Text(MappedField.Id, fields) is { Length: > 0 } id ? id : options.IdPrefix + "-" + line.ToString(CultureInfo.InvariantCulture),
                Timestamp = ts,
                Card = card,
                Merchant = Text(MappedField.Merchant, fields) ?? "",
                Category = Text(MappedField.Category, fields) ?? "",
                Currency = Text(MappedField.Currency, fields) ?? "",
                Country = Text(MappedField.Country, fields) ?? "",
                Device = Text(MappedField.Device, fields) is { Length: > 0 } device ? device : null,
            };
            if (!TryAmount(fields, draft, out problem) || !TryCoordinates(fields, draft, out problem) || !TryChannel(fields, draft, out problem)
                || !TryLabel(fields, draft, hash, out problem))
            {
                return false;
            }

            // The contract's own parser decides: the file then holds only what the service would accept.
            _json.ResetWrittenCount();
            using (var writer = new System.Text.Json.Utf8JsonWriter(_json))
            {
                TransactionJson.Write(writer, draft);
            }

            var checkedTx = new Transaction();
            if (!TransactionJson.TryParse(_json.WrittenSpan, checkedTx, out var error))
            {
                Label = null;
                problem = error.ToString();
                return false;
            }

            checkedTx.Card = pool.Get(Encoding.UTF8.GetBytes(checkedTx.Card));
            checkedTx.Merchant = pool.Get(Encoding.UTF8.GetBytes(checkedTx.Merchant));
            checkedTx.Category = pool.Get(Encoding.UTF8.GetBytes(checkedTx.Category));
            Transaction = checkedTx;
            ticks = checkedTx.Timestamp.Ticks;
            return true;
        }

        private string? Text(MappedField field, List<string> fields)
        {
            if (mapping[field] is not { } source)
            {
                return null;
            }

            var value = source.Constant ?? fields[source.Index];
            if (source.StripPrefix is { Length: > 0 } prefix && value.StartsWith(prefix, StringComparison.Ordinal))
            {
                value = value[prefix.Length..];
            }

            return source.Lower ? value.ToLowerInvariant() : source.Upper ? value.ToUpperInvariant() : value;
        }

        private bool TryTime(FieldSource source, List<string> fields, ulong hash, out DateTime time, out string problem)
        {
            var text = fields[source.Index];
            var name = source.Column;
            time = default;
            switch (source.Time)
            {
                case TimeFormat.Days:
                    if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var day) || day > 1_000_000)
                    {
                        problem = $"{name} '{Printable(text)}' is not a day index";
                        return false;
                    }

                    var dayStart = options.TimeOrigin!.Value.Ticks + (day * TimeSpan.TicksPerDay);
                    time = new DateTime(Truncate(dayStart + DailyActivityProfile.TimeOfDay(StableHash.ToUnit(hash)).Ticks), DateTimeKind.Utc);
                    break;
                case TimeFormat.UnixSeconds or TimeFormat.UnixMilliseconds:
                    if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var unix)
                        || !TryFromUnix(unix, source.Time == TimeFormat.UnixMilliseconds, out time))
                    {
                        problem = $"{name} '{Printable(text)}' is not a Unix time";
                        return false;
                    }

                    break;
                default:
                    if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                    {
                        problem = $"{name} '{Printable(text)}' is not a date-time";
                        return false;
                    }

                    time = parsed.UtcDateTime;
                    break;
            }

            problem = "";
            return true;
        }

        private bool TryAmount(List<string> fields, Transaction draft, out string problem)
        {
            var text = Text(MappedField.Amount, fields) ?? "";
            if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                problem = $"amount '{Printable(text)}' is not a number";
                return false;
            }

            draft.Amount = amount;
            problem = "";
            return true;
        }

        private bool TryCoordinates(List<string> fields, Transaction draft, out string problem)
        {
            problem = "";
            if (!TryCoordinate(MappedField.Lat, fields, out var lat, ref problem) || !TryCoordinate(MappedField.Lon, fields, out var lon, ref problem))
            {
                return false;
            }

            draft.Latitude = lat;
            draft.Longitude = lon;
            return true;
        }

        private bool TryCoordinate(MappedField field, List<string> fields, out double value, ref string problem)
        {
            value = double.NaN;
            var text = Text(field, fields);
            if (string.IsNullOrEmpty(text))
            {
                return true;
            }

            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            {
                return true;
            }

            problem = $"{CsvMapping.NameOf(field)} '{Printable(text)}' is not a number";
            return false;
        }

        private bool TryChannel(List<string> fields, Transaction draft, out string problem)
        {
            problem = "";
            var text = Text(MappedField.Channel, fields);
            if (string.IsNullOrEmpty(text))
            {
                return true;
            }

            if (PaymentChannelNames.TryParse(text.ToLowerInvariant(), out var channel))
            {
                draft.Channel = channel;
                return true;
            }

            problem = $"channel '{Printable(text)}' is not {PaymentChannelNames.Listed}";
            return false;
        }

        /// <summary>An empty fraud value leaves the row unlabelled; a label without a reported_at is dated by the row hash.</summary>
        private bool TryLabel(List<string> fields, Transaction draft, ulong hash, out string problem)
        {
            problem = "";
            var text = Text(MappedField.Fraud, fields);
            if (string.IsNullOrEmpty(text))
            {
                return true;
            }

            bool fraud;
            switch (text.ToLowerInvariant())
            {
                case "1" or "true" or "yes" or "y" or "t":
                    fraud = true;
                    break;
                case "0" or "false" or "no" or "n" or "f":
                    fraud = false;
                    break;
                default:
                    problem = $"fraud '{Printable(text)}' is not 0/1, true/false or yes/no";
                    return false;
            }

            DateTime reported;
            if (mapping[MappedField.ReportedAt] is { } source && fields[source.Index].Length > 0)
            {
                if (!TryTime(source, fields, hash, out reported, out problem))
                {
                    return false;
                }
            }
            else
            {
                // As BankSim's reader: uniform in [min, max] days, from the row hash.
                var delayDays = options.MinLabelDelayDays
                    + ((options.MaxLabelDelayDays - options.MinLabelDelayDays) * StableHash.ToUnit(StableHash.Mix(hash + 1)));
                reported = new DateTime(Truncate(draft.Timestamp.Ticks + (long)(delayDays * TimeSpan.TicksPerDay)), DateTimeKind.Utc);
            }

            Label = new Label(draft.Id, fraud, reported);
            return true;
        }

        private static bool TryFromUnix(long value, bool milliseconds, out DateTime time)
        {
            time = default;
            var max = milliseconds ? 253_402_300_799_999L : 253_402_300_799L;
            if (value < 0 || value > max)
            {
                return false;
            }

            time = milliseconds ? DateTime.UnixEpoch.AddMilliseconds(value) : DateTime.UnixEpoch.AddSeconds(value);
            return true;
        }

        private static string Printable(string text) => text.Length > 24 ? text[..24] + "…" : text;

        private static long Truncate(long ticks) => ticks - (ticks % TimeSpan.TicksPerMillisecond);
    }
}
