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

        if (!TryParse(line, currentStep, out var row, out var problem))
        {
            record = ReplayRecord.ForBadRow(number, problem);
            return RowOutcome.Bad;
        }

        var hash = StableHash.Of(row.Customer, number);
        step = row.Step;
        ticks = EventTicks(row.Step, hash);
        var tx = ToTransaction(row, number, ticks, pool);
        record = ReplayRecord.ForTransaction(number, tx, LabelFor(tx.Id, row.Fraud, ticks, hash));
        return RowOutcome.Good;
    }

    /// <summary>One row's fields, the text ones still spans of the line.</summary>
    private ref struct Row
    {
        public int Step;
        public ReadOnlySpan<byte> Customer;
        public ReadOnlySpan<byte> Merchant;
        public ReadOnlySpan<byte> Category;
        public decimal Amount;
        public bool Fraud;
    }

    /// <summary>Checks the row against the contract; <paramref name="problem"/> says what broke it.</summary>
    private static bool TryParse(ReadOnlySpan<byte> line, int currentStep, out Row row, out string problem)
    {
        row = default;
        Span<Range> fields = stackalloc Range[Columns + 1];
        var count = SplitFields(line, fields);
        if (count != Columns)
        {
            problem = count > Columns ? $"expected {Columns} columns, found more" : $"expected {Columns} columns, found {count}";
            return false;
        }

        row.Customer = Unquote(line[fields[1]]);
        row.Merchant = Unquote(line[fields[5]]);
        row.Category = Unquote(line[fields[7]]);
        if (row.Category.StartsWith("es_"u8))
        {
            row.Category = row.Category[3..];
        }

        return TryParseStep(Unquote(line[fields[0]]), currentStep, out row.Step, out problem)
            && HasParties(row, out problem)
            && TryParseAmount(Unquote(line[fields[8]]), out row.Amount, out problem)
            && TryParseFraud(Unquote(line[fields[9]]), out row.Fraud, out problem);
    }

    private static bool TryParseStep(ReadOnlySpan<byte> text, int currentStep, out int step, out string problem)
    {
        if (!Utf8Parser.TryParse(text, out step, out var used) || used != text.Length || step < 0 || step > MaxStep)
        {
            problem = $"step '{Printable(text)}' is not a day index";
            return false;
        }

        if (step < currentStep)
        {
            problem = $"step {step} after step {currentStep}: the file must be sorted by step";
            return false;
        }

        problem = "";
        return true;
    }

    private static bool HasParties(Row row, out string problem)
    {
        problem = row.Customer.IsEmpty ? "customer is empty"
            : row.Merchant.IsEmpty ? "merchant is empty"
            : row.Category.IsEmpty ? "category is empty"
            : "";
        return problem.Length == 0;
    }

    private static bool TryParseAmount(ReadOnlySpan<byte> text, out decimal amount, out string problem)
    {
        if (!Utf8Parser.TryParse(text, out amount, out var used) || used != text.Length)
        {
            problem = $"amount '{Printable(text)}' is not a number";
            return false;
        }

        if (amount <= 0)
        {
            problem = $"amount must be greater than zero, was {amount}";
            return false;
        }

        problem = "";
        return true;
    }

    private static bool TryParseFraud(ReadOnlySpan<byte> text, out bool fraud, out string problem)
    {
        fraud = text.Length == 1 && text[0] == (byte)'1';
        if (text.Length != 1 || text[0] is not ((byte)'0' or (byte)'1'))
        {
            problem = $"fraud '{Printable(text)}' is not 0 or 1";
            return false;
        }

        problem = "";
        return true;
    }

    /// <summary>The row's event time: its step's local day, at a time of day drawn from the row's hash.</summary>
    private long EventTicks(int step, ulong hash)
    {
        var day = _options.Start.Ticks + (step * TimeSpan.TicksPerDay) - (_options.UtcOffsetHours * TimeSpan.TicksPerHour);
        return Truncate(day + DailyActivityProfile.TimeOfDay(StableHash.ToUnit(hash)).Ticks);
    }

    private static Transaction ToTransaction(Row row, long number, long ticks, StringPool pool) => new()
    {
        Id = "bs-" + number.ToString(),
        Timestamp = new DateTime(ticks, DateTimeKind.Utc),
        Card = pool.Get(row.Customer),
        Merchant = pool.Get(row.Merchant),
        Category = pool.Get(row.Category),
        Amount = row.Amount,
        Currency = "EUR",
        Country = "ES",
        Channel = PaymentChannel.Pos,
    };

    /// <summary>Every fraud gets a label; a legitimate row gets one at <see cref="BankSimOptions.LegitLabelRate"/>, 1–20 days later.</summary>
    private Label? LabelFor(string id, bool fraud, long ticks, ulong hash)
    {
        if (!fraud && StableHash.ToUnit(StableHash.Mix(hash ^ 0x5851F42D4C957F2DUL)) >= _options.LegitLabelRate)
        {
            return null;
        }

        var delayDays = _options.MinLabelDelayDays
            + ((_options.MaxLabelDelayDays - _options.MinLabelDelayDays) * StableHash.ToUnit(StableHash.Mix(hash + 1)));
        var reported = Truncate(ticks + (long)(delayDays * TimeSpan.TicksPerDay));
        return new Label(id, fraud, new DateTime(reported, DateTimeKind.Utc));
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
