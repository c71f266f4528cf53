using System.Globalization;

namespace FraudStream.Ingest.Conversion;

/// <summary>The fields of the <c>transactions</c> contract (and of its label) that a CSV column can fill.</summary>
public enum MappedField
{
    Id,
    Ts,
    Card,
    Merchant,
    Category,
    Amount,
    Currency,
    Country,
    Lat,
    Lon,
    Device,
    Channel,
    Fraud,
    ReportedAt,
}

/// <summary>How a time column is written.</summary>
public enum TimeFormat
{
    /// <summary>RFC 3339 / ISO 8601; without an offset it is taken as UTC.</summary>
    Timestamp,

    /// <summary>Seconds since 1970-01-01T00:00Z.</summary>
    UnixSeconds,

    /// <summary>Milliseconds since 1970-01-01T00:00Z.</summary>
    UnixMilliseconds,

    /// <summary>
    /// A day index counted from <see cref="CsvConvertOptions.TimeOrigin"/> (BankSim's <c>step</c>); the time of day is
    /// drawn from the daily activity profile, deterministically from the card and the line number.
    /// </summary>
    Days,
}

/// <summary>
/// Where one field comes from: <c>COLUMN</c> (a header name, or <c>#N</c> for the N-th column counting from 1) or
/// <c>const:VALUE</c>, then modifiers after <c>|</c>: <c>strip-prefix:TEXT</c>, <c>lower</c>, <c>upper</c> for text;
/// <c>unix</c>, <c>unix-ms</c>, <c>days</c> for times.
/// </summary>
public sealed record FieldSource(string? Column, string? Constant, string? StripPrefix, bool Lower, bool Upper, TimeFormat Time)
{
    /// <summary>The column's position in a row, set by <see cref="CsvMapping.Resolve"/>; -1 for a constant.</summary>
    public int Index { get; internal set; } = -1;

    public override string ToString() => Constant is not null ? "const:" + Constant : Column ?? "";
}

/// <summary>The <c>--map field=source</c> pairs of <c>fraudstream convert</c>, parsed and checked.</summary>
public sealed class CsvMapping
{
    private static readonly Dictionary<string, MappedField> FieldNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["id"] = MappedField.Id,
        ["ts"] = MappedField.Ts,
        ["card"] = MappedField.Card,
        ["merchant"] = MappedField.Merchant,
        ["category"] = MappedField.Category,
        ["amount"] = MappedField.Amount,
        ["currency"] = MappedField.Currency,
        ["country"] = MappedField.Country,
        ["lat"] = MappedField.Lat,
        ["lon"] = MappedField.Lon,
        ["device"] = MappedField.Device,
        ["channel"] = MappedField.Channel,
        ["fraud"] = MappedField.Fraud,
        ["reported_at"] = MappedField.ReportedAt,
    };

    /// <summary>The contract requires these (id defaults to PREFIX-LINE).</summary>
    private static readonly MappedField[] Required =
        [MappedField.Ts, MappedField.Card, MappedField.Merchant, MappedField.Category, MappedField.Amount, MappedField.Currency, MappedField.Country];

    private readonly FieldSource?[] _sources = new FieldSource?[Enum.GetValues<MappedField>().Length];

    private CsvMapping()
    {
    }

    /// <summary>The names <c>--map</c> accepts, for messages.</summary>
    public static string FieldList => string.Join(", ", FieldNames.Keys);

    public FieldSource? this[MappedField field] => _sources[(int)field];

    /// <summary>Parses <c>field=source</c> pairs; false with one line per problem.</summary>
    public static bool TryParse(IEnumerable<string> pairs, out CsvMapping mapping, out List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        mapping = new CsvMapping();
        problems = [];
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == pair.Length - 1)
            {
                problems.Add($"--map '{pair}': expected field=source, e.g. card=customer or currency=const:EUR");
                continue;
            }

            var name = pair[..equals].Trim();
            if (!FieldNames.TryGetValue(name, out var field))
            {
                problems.Add($"--map '{pair}': unknown field '{name}' (fields: {FieldList})");
                continue;
            }

            if (mapping._sources[(int)field] is not null)
            {
                problems.Add($"--map '{pair}': {name} is mapped twice");
                continue;
            }

            if (TryParseSource(field, pair[(equals + 1)..], out var source, out var problem))
            {
                mapping._sources[(int)field] = source;
            }
            else
            {
                problems.Add($"--map '{pair}': {problem}");
            }
        }

        foreach (var field in Required)
        {
            if (mapping._sources[(int)field] is null)
            {
                problems.Add($"--map {NameOf(field)}=… is required (a column, or const:VALUE)");
            }
        }

        if (mapping._sources[(int)MappedField.ReportedAt] is not null && mapping._sources[(int)MappedField.Fraud] is null)
        {
            problems.Add("--map reported_at needs --map fraud (the label it dates)");
        }

        return problems.Count == 0;
    }

    /// <summary>
    /// Finds each mapped column in <paramref name="header"/> (names, case-insensitive) or checks its <c>#N</c> against
    /// <paramref name="columns"/>; false with one line per column not found.
    /// </summary>
    public bool Resolve(IReadOnlyList<string>? header, int columns, out List<string> problems)
    {
        problems = [];
        foreach (var source in _sources)
        {
            if (source?.Column is not { } column)
            {
                continue;
            }

            if (column.StartsWith('#'))
            {
                if (int.TryParse(column.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= columns)
                {
                    source.Index = n - 1;
                }
                else
                {
                    problems.Add($"column {column}: the first row has {columns} columns");
                }

                continue;
            }

            var index = -1;
            for (var i = 0; header is not null && i < header.Count; i++)
            {
                if (string.Equals(header[i], column, StringComparison.OrdinalIgnoreCase))
                {
                    index = i;
                    break;
                }
            }

            if (index < 0)
            {
                problems.Add(header is null
                    ? $"column '{column}': without a header row, name columns #1, #2, …"
                    : $"column '{column}' is not in the header ({string.Join(", ", header)})");
            }

            source.Index = index;
        }

        return problems.Count == 0;
    }

    internal static string NameOf(MappedField field)
    {
        foreach (var (name, value) in FieldNames)
        {
            if (value == field)
            {
                return name;
            }
        }

        return field.ToString();
    }

    private static bool TryParseSource(MappedField field, string text, out FieldSource? source, out string problem)
    {
        source = null;
        var isTime = field is MappedField.Ts or MappedField.ReportedAt;
        string? column = null;
        string? constant = null;
        string? stripPrefix = null;
        bool lower = false, upper = false;
        var time = TimeFormat.Timestamp;
        var parts = text.Split('|');
        if (parts[0].StartsWith("const:", StringComparison.Ordinal))
        {
            constant = parts[0]["const:".Length..];
            if (isTime)
            {
                problem = "a time cannot be a constant";
                return false;
            }
        }
        else if (parts[0].Trim().Length == 0)
        {
            problem = "no column named";
            return false;
        }
        else
        {
            column = parts[0].Trim();
        }

        for (var i = 1; i < parts.Length; i++)
        {
            var modifier = parts[i].Trim();
            if (modifier.StartsWith("strip-prefix:", StringComparison.Ordinal) && !isTime)
            {
                stripPrefix = modifier["strip-prefix:".Length..];
            }
            else if (modifier == "lower" && !isTime)
            {
                lower = true;
            }
            else if (modifier == "upper" && !isTime)
            {
                upper = true;
            }
            else if (isTime && modifier is "unix" or "unix-ms" or "days")
            {
                time = modifier switch { "unix" => TimeFormat.UnixSeconds, "unix-ms" => TimeFormat.UnixMilliseconds, _ => TimeFormat.Days };
                if (time == TimeFormat.Days && field != MappedField.Ts)
                {
                    problem = "days is for ts only (labels are dated by reported_at or --label-delay-days)";
                    return false;
                }
            }
            else
            {
                problem = isTime
                    ? $"unknown modifier '{modifier}' for a time (unix, unix-ms, days)"
                    : $"unknown modifier '{modifier}' (strip-prefix:TEXT, lower, upper)";
                return false;
            }
        }

        source = new FieldSource(column, constant, stripPrefix, lower, upper, time);
        problem = "";
        return true;
    }
}
