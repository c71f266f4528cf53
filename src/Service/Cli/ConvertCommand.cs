using System.CommandLine;
using System.Globalization;
using FraudStream.Ingest.Conversion;

namespace FraudStream.Service.Cli;

/// <summary><c>fraudstream convert</c>: a CSV export → contract JSON lines, with the column mapping on the command line.</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var file = new Option<string>("--file") { Description = "CSV file to convert (plain or gzip)", Required = true };
        var output = new Option<string>("--out") { Description = "JSON lines file to write (gzip when it ends in .gz)", Required = true };
        var map = new Option<string[]>("--map")
        {
            Description = "FIELD=SOURCE, once per field: SOURCE is a header name, #N (N-th column) or const:VALUE, then |strip-prefix:TEXT, |lower, "
                + "|upper; times: |unix, |unix-ms, |days (a day index from --time-origin). Fields: " + CsvMapping.FieldList,
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var delimiter = new Option<string>("--delimiter") { Description = "Field delimiter (\\t for a tab)", DefaultValueFactory = _ => "," };
        var quote = new Option<string>("--quote") { Description = "Quote character around fields (BankSim: ')", DefaultValueFactory = _ => "\"" };
        var noHeader = new Option<bool>("--no-header") { Description = "The first line is data: name columns #1, #2, …" };
        var idPrefix = new Option<string>("--id-prefix") { Description = "Without an id column, a row's id is PREFIX-LINE", DefaultValueFactory = _ => "row" };
        var timeOrigin = new Option<string?>("--time-origin") { Description = "RFC 3339 instant day 0 starts, for ts=COLUMN|days" };
        var labelDelay = new Option<string>("--label-delay-days")
        {
            Description = "Without reported_at, a label is reported MIN..MAX days after its transaction (uniform, from the row)",
            DefaultValueFactory = _ => "1..20",
        };
        var command = new Command("convert", "Convert a CSV export to contract JSON lines (transactions and labels) for train --source jsonl, evaluate and replay")
        {
            file, output, map, delimiter, quote, noHeader, idPrefix, timeOrigin, labelDelay,
        };
        command.SetAction(parse =>
        {
            if (!CsvMapping.TryParse(parse.GetValue(map) ?? [], out var mapping, out var problems))
            {
                foreach (var problem in problems)
                {
                    Console.Error.WriteLine(problem);
                }

                return 2;
            }

            if (!TryOptions(parse, delimiter, quote, noHeader, idPrefix, timeOrigin, labelDelay, out var options, out var error))
            {
                Console.Error.WriteLine(error);
                return 2;
            }

            var input = parse.GetValue(file)!;
            if (!File.Exists(input))
            {
                Console.Error.WriteLine($"no such file: {input}");
                return 2;
            }

            CsvConversionResult result;
            try
            {
                result = CsvConverter.Convert(input, parse.GetValue(output)!, mapping, options);
            }
            catch (Exception ex) when (ex is InvalidDataException or ArgumentException)
            {
                // The header or the mapping does not fit the file: nothing was converted.
                Console.Error.WriteLine(ex.Message);
                return 2;
            }

            Console.WriteLine($"converted {result.Transactions:N0} transactions and {result.Labels:N0} labels from {result.Rows:N0} rows of {input} " +
                $"to {Path.GetFullPath(parse.GetValue(output)!)}; {result.Bad:N0} bad rows");
            const int Shown = 10;
            for (var i = 0; i < result.FirstBadRows.Count && i < Shown; i++)
            {
                Console.WriteLine($"  bad row {result.FirstBadRows[i]}");
            }

            if (result.Bad > Math.Min(result.FirstBadRows.Count, Shown))
            {
                Console.WriteLine($"  … and {result.Bad - Math.Min(result.FirstBadRows.Count, Shown):N0} more");
            }

            // Bad rows are skipped and reported; only a file that gave nothing at all is a failure.
            return result.Transactions > 0 ? 0 : 1;
        });
        return command;
    }

    private static bool TryOptions(
        ParseResult parse, Option<string> delimiter, Option<string> quote, Option<bool> noHeader, Option<string> idPrefix,
        Option<string?> timeOrigin, Option<string> labelDelay, out CsvConvertOptions options, out string error)
    {
        options = new CsvConvertOptions();
        var delimiterText = parse.GetValue(delimiter) is "\\t" or "tab" ? "\t" : parse.GetValue(delimiter) ?? ",";
        var quoteText = parse.GetValue(quote) ?? "\"";
        if (delimiterText.Length != 1 || quoteText.Length != 1 || delimiterText == quoteText)
        {
            error = "--delimiter and --quote must be one character each, and different";
            return false;
        }

        DateTime? origin = null;
        if (parse.GetValue(timeOrigin) is { } originText)
        {
            if (!DateTimeOffset.TryParse(originText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                error = $"--time-origin: '{originText}' is not an RFC 3339 time";
                return false;
            }

            origin = parsed.UtcDateTime;
        }

        var delay = (parse.GetValue(labelDelay) ?? "1..20").Split("..");
        if (delay.Length != 2
            || !double.TryParse(delay[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var min)
            || !double.TryParse(delay[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var max)
            || min < 0 || max < min)
        {
            error = "--label-delay-days must be MIN..MAX with 0 <= MIN <= MAX, e.g. 1..20";
            return false;
        }

        var prefix = parse.GetValue(idPrefix) ?? "row";
        if (prefix.Length == 0)
        {
            error = "--id-prefix must not be empty";
            return false;
        }

        options = new CsvConvertOptions
        {
            Delimiter = delimiterText[0],
            Quote = quoteText[0],
            Header = !parse.GetValue(noHeader),
            IdPrefix = prefix,
            TimeOrigin = origin,
            MinLabelDelayDays = min,
            MaxLabelDelayDays = max,
        };
        error = "";
        return true;
    }
}
