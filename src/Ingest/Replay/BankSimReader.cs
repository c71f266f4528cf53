using System.Buffers.Text;
using System.Text;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Simulation;

namespace FraudStream.Ingest.Replay;

/// <summary>How BankSim rows become timed transactions and labels.</summary>
public sealed class BankSimOptions
{
    /// <summary>Local midnight of step 0 is this date in UTC, shifted by <see cref="UtcOffsetHours"/>.</summary>
    public DateTime Start { get; init; } = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>BankSim is a Spanish bank: rows follow the daily profile in Spanish local time.</summary>
    public int UtcOffsetHours { get; init; } = 1;

    public double MinLabelDelayDays { get; init; } = 1;

    public double MaxLabelDelayDays { get; init; } = 20;

    /// <summary>Share of legitimate rows that get a <c>fraud=false</c> label; every fraud gets one.</summary>
    public double LegitLabelRate { get; init; } = 1.0;

    public int MaxBadRowsKept { get; init; } = 100;
}

/// <summary>
/// Reads the BankSim CSV (<c>step,customer,age,gender,zipcodeOri,merchant,zipMerchant,category,amount,fraud</c>,
/// text fields in single quotes), plain or gzip. BankSim has no time of day, so each row gets one
/// from a hash of (customer, line number) drawn through <see cref="DailyActivityProfile"/>; rows of a
/// step are buffered and yielded sorted by that time, so the output is in event-time order. Rows map
/// to id <c>bs-&lt;line&gt;</c>, card = customer, category without its <c>es_</c> prefix, EUR, ES,
/// channel pos, no location, no device, and a label (fraud column) reported 1–20 days later.
/// Rows that break the contract (amount 0, wrong column count, bad numbers, a step going backwards)
/// come out as bad rows with their line number.
/// </summary>
public sealed class BankSimReader : IReplaySource
{
    private const int Columns = 10;
    private const int MaxStep = 1_000_000;

    private readonly BankSimOptions _options;

    public BankSimReader(string path, BankSimOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        _options = options ?? new BankSimOptions();
        Stats = new ReplayStats(_options.MaxBadRowsKept);
    }

    public string Path { get; }

    public ReplayStats Stats { get; }

    public IEnumerable<ReplayRecord> Read(CancellationToken cancellationToken = default)
    {
        Stats.Reset();
        using var lines = new Utf8LineReader(ReplayFile.Open(Path), maxLineBytes: 64 * 1024);
        var pool = new StringPool(1 << 20);
        var step = new List<TimedRow>(4096);
        var currentStep = -1;
        while (!cancellationToken.IsCancellationRequested)
        {
            var outcome = ReadRow(lines, pool, currentStep, out var record, out var rowStep, out var ticks);
            if (outcome == RowOutcome.End)
            {
                break;
            }

            if (outcome == RowOutcome.Skip)
            {
                continue;
            }

            if (outcome == RowOutcome.Bad)
            {
                Stats.Count(record);
                yield return record;
                continue;
            }

            if (rowStep != currentStep)
            {
                foreach (var timed in Sorted(step))
                {
                    Stats.Count(timed.Record);
                    yield return timed.Record;
                }

                step.Clear();
                currentStep = rowStep;
            }

            step.Add(new TimedRow(ticks, record));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            yield break;
        }

        foreach (var timed in Sorted(step))
        {
            Stats.Count(timed.Record);
            yield return timed.Record;
        }
    }

    private static List<TimedRow> Sorted(List<TimedRow> rows)
    {
        rows.Sort(static (a, b) => a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Record.LineNumber.CompareTo(b.Record.LineNumber));
        return rows;
    }

    private enum RowOutcome : byte
    {
        End,
        Skip,
        Bad,
        Good,
    }

    private RowOutcome ReadRow(Utf8LineReader lines, StringPool pool, int currentStep, out ReplayRecord record, out int step, out long ticks)
    {
        record = default;
        step = -1;
        ticks = 0;
        if (!lines.TryReadLine(out var line, out var tooLong))
        {
            return RowOutcome.End;
        }

        var number = lines.LineNumber;
        if (tooLong)
        {
            record = ReplayRecord.ForBadRow(number, $"line is longer than {lines.MaxLineBytes} bytes");
            return RowOutcome.Bad;
        }

        if (line.Trim(" \t"u8).IsEmpty || (number == 1 && line.StartsWith("step"u8)))
        {
            return RowOutcome.Skip;
        }

        Span<Range> fields = stackalloc Range[Columns + 1];
        var count = SplitFields(line, fields);
        if (count != Columns)
        {
            record = ReplayRecord.ForBadRow(number, count > Columns
                ? $"expected {Columns} columns, found more"
                : $"expected {Columns} columns, found {count}");
            return RowOutcome.Bad;
        }

        var stepText = Unquote(line[fields[0]]);
        if (!Utf8Parser.TryParse(stepText, out step, out var used) || used != stepText.Length || step < 0 || step > MaxStep)
        {
            record = ReplayRecord.ForBadRow(number, $"step '{Printable(stepText)}' is not a day index");
            return RowOutcome.Bad;
        }

        if (step < currentStep)
        {
            record = ReplayRecord.ForBadRow(number, $"step {step} after step {currentStep}: the file must be sorted by step");
            return RowOutcome.Bad;
        }

        var customer = Unquote(line[fields[1]]);
        var merchant = Unquote(line[fields[5]]);
        var category = Unquote(line[fields[7]]);
        if (category.StartsWith("es_"u8))
        {
            category = category[3..];
        }

        if (customer.IsEmpty || merchant.IsEmpty || category.IsEmpty)
        {
            var missing = customer.IsEmpty ? "customer" : merchant.IsEmpty ? "merchant" : "category";
            record = ReplayRecord.ForBadRow(number, $"{missing} is empty");
            return RowOutcome.Bad;
        }

        var amountText = Unquote(line[fields[8]]);
        if (!Utf8Parser.TryParse(amountText, out decimal amount, out used) || used != amountText.Length)
        {
            record = ReplayRecord.ForBadRow(number, $"amount '{Printable(amountText)}' is not a number");
            return RowOutcome.Bad;
        }

        if (amount <= 0)
        {
            record = ReplayRecord.ForBadRow(number, $"amount must be greater than zero, was {amount}");
            return RowOutcome.Bad;
        }

        var fraudText = Unquote(line[fields[9]]);
        if (fraudText.Length != 1 || fraudText[0] is not ((byte)'0' or (byte)'1'))
        {
            record = ReplayRecord.ForBadRow(number, $"fraud '{Printable(fraudText)}' is not 0 or 1");
            return RowOutcome.Bad;
        }

        var fraud = fraudText[0] == (byte)'1';
        var hash = StableHash.Of(customer, number);
        var day = _options.Start.Ticks + (step * TimeSpan.TicksPerDay) - (_options.UtcOffsetHours * TimeSpan.TicksPerHour);
        ticks = Truncate(day + DailyActivityProfile.TimeOfDay(StableHash.ToUnit(hash)).Ticks);
        var tx = new Transaction
        {
            Id = "bs-" + number.ToString(),
            Timestamp = new DateTime(ticks, DateTimeKind.Utc),
            Card = pool.Get(customer),
            Merchant = pool.Get(merchant),
            Category = pool.Get(category),
            Amount = amount,
            Currency = "EUR",
            Country = "ES",
            Channel = PaymentChannel.Pos,
        };

        Label? label = null;
        if (fraud || StableHash.ToUnit(StableHash.Mix(hash ^ 0x5851F42D4C957F2DUL)) < _options.LegitLabelRate)
        {
            var delayDays = _options.MinLabelDelayDays
                + ((_options.MaxLabelDelayDays - _options.MinLabelDelayDays) * StableHash.ToUnit(StableHash.Mix(hash + 1)));
            var reported = Truncate(ticks + (long)(delayDays * TimeSpan.TicksPerDay));
            label = new Label(tx.Id, fraud, new DateTime(reported, DateTimeKind.Utc));
        }

        record = ReplayRecord.ForTransaction(number, tx, label);
        return RowOutcome.Good;
    }

    /// <summary>Ranges of the comma-separated fields; returns more than the span holds when there are too many.</summary>
    private static int SplitFields(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        var count = 0;
        var start = 0;
        while (true)
        {
            var comma = line[start..].IndexOf((byte)',');
            var end = comma < 0 ? line.Length : start + comma;
            if (count == fields.Length)
            {
                return count + 1;
            }

            fields[count++] = new Range(start, end);
            if (comma < 0)
            {
                return count;
            }

            start = end + 1;
        }
    }

    private static ReadOnlySpan<byte> Unquote(ReadOnlySpan<byte> field)
    {
        field = field.Trim(" \t"u8);
        if (field.Length >= 2 && field[0] == field[^1] && field[0] is (byte)'\'' or (byte)'"')
        {
            field = field[1..^1];
        }

        return field;
    }

    private static string Printable(ReadOnlySpan<byte> text)
    {
        var s = Encoding.UTF8.GetString(text.Length > 24 ? text[..24] : text);
        return text.Length > 24 ? s + "…" : s;
    }

    private static long Truncate(long ticks) => ticks - (ticks % TimeSpan.TicksPerMillisecond);

    private readonly record struct TimedRow(long Ticks, ReplayRecord Record);
}
