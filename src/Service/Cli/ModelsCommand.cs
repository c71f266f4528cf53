using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FraudStream.Core.Telemetry;
using FraudStream.Storage;

namespace FraudStream.Service.Cli;

/// <summary>
/// <c>models compare</c>: champion against challenger from the stored decisions (the same sums and the same
/// <see cref="ModelComparison"/> the dashboard shows). <c>models promote</c>: asks a running serve, through the store,
/// to make its challenger the champion, and waits for its answer (recorded with who and when in <c>model_promotions</c>).
/// </summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var models = new Command("models", "Champion and challenger: compare them from the store, promote the challenger");
        models.Subcommands.Add(Compare());
        models.Subcommands.Add(Promote());
        return models;
    }

    private static Command Compare()
    {
        var db = StoreOption();
        var since = new Option<string?>("--since") { Description = "Only decisions decided at or after this time (RFC 3339, UTC if no offset)" };
        var json = new Option<bool>("--json") { Description = "Print the comparison as JSON" };
        var command = new Command("compare", "Decision agreement, score correlation, review/decline rates and precision/recall of champion and challenger")
        {
            db, since, json,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            if (!TryOpen(parse.GetValue(db)!, out var store))
            {
                return 2;
            }

            var from = DateTime.MinValue;
            if (parse.GetValue(since) is { } text && !TryParseTime(text, out from))
            {
                await Console.Error.WriteLineAsync($"--since: '{text}' is not an RFC 3339 time");
                return 2;
            }

            await store!.MigrateAsync(cancellation);
            var pairs = new List<ModelPairComparison>();
            foreach (var pair in await store.CompareModelsAsync(from, cancellation))
            {
                pairs.Add(new ModelPairComparison(pair.ChampionVersion, pair.ChallengerVersion, ModelComparison.From(pair.ToCounts())));
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(pairs, EvaluationJson.Options));
                return 0;
            }

            if (pairs.Count == 0)
            {
                Console.WriteLine("no decisions with a challenger score" + (from > DateTime.MinValue ? " since " + from.ToString("O", CultureInfo.InvariantCulture) : ""));
                return 0;
            }

            foreach (var pair in pairs)
            {
                Print(pair);
            }

            return 0;
        });
        return command;
    }

    private static Command Promote()
    {
        var db = StoreOption();
        var by = new Option<string?>("--by") { Description = "Who promotes (recorded); default: the user name" };
        var wait = new Option<int?>("--wait") { Description = "Seconds to wait for a running serve to apply it (default 30)" };
        var command = new Command("promote", "Make the challenger of the running serve on this store the champion (one snapshot swap), recorded with who and when")
        {
            db, by, wait,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            if (!TryOpen(parse.GetValue(db)!, out var store))
            {
                return 2;
            }

            await store!.MigrateAsync(cancellation);
            var who = parse.GetValue(by) ?? Environment.UserName;
            var seq = await store.RequestPromotionAsync(who, DateTime.UtcNow, cancellation);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(parse.GetValue(wait) ?? 30);
            while (DateTime.UtcNow < deadline)
            {
                var row = await store.GetPromotionAsync(seq, cancellation);
                if (row is { Status: "applied" })
                {
                    Console.WriteLine($"promotion {seq} by {who}: {row.ToVersion} is the champion on {row.Instance} (was {row.FromVersion})");
                    return 0;
                }

                if (row is { Status: "refused" })
                {
                    await Console.Error.WriteLineAsync($"promotion {seq} refused: {row.Detail}");
                    return 1;
                }

                await Task.Delay(200, cancellation);
            }

            await Console.Error.WriteLineAsync($"promotion {seq} requested; no running serve on this store applied it in time (it stays requested)");
            return 1;
        });
        return command;
    }

    private static Option<string> StoreOption() => new("--db") { Description = "Store: sqlite:PATH or postgres:CONNECTION-STRING", Required = true };

    private static bool TryOpen(string db, out FraudStore? store)
    {
        store = null;
        if (!StoreLocation.TryParse(db, out var location, out var error))
        {
            Console.Error.WriteLine("--db: " + error);
            return false;
        }

        store = FraudStore.Open(location!);
        return true;
    }

    private static bool TryParseTime(string text, out DateTime utc)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            utc = time.UtcDateTime;
            return true;
        }

        utc = default;
        return false;
    }

    private static void Print(ModelPairComparison pair)
    {
        var c = pair.Comparison;
        static string Number(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "n/a";
        Console.WriteLine($"champion {pair.Champion} vs challenger {pair.Challenger}: {c.Compared} decisions, {c.Labelled} labelled ({c.LabelledFraud} fraud)");
        Console.WriteLine($"  decision agreement  {Number(c.Agreement)}");
        Console.WriteLine($"  score correlation   {Number(c.ScoreCorrelation)}");
        Console.WriteLine($"  {"",-12}{"review",10}{"decline",10}{"precision",11}{"recall",10}");
        Console.WriteLine($"  {"champion",-12}{Number(c.Champion.ReviewRate),10}{Number(c.Champion.DeclineRate),10}{Number(c.Champion.Precision),11}{Number(c.Champion.Recall),10}");
        Console.WriteLine($"  {"challenger",-12}{Number(c.Challenger.ReviewRate),10}{Number(c.Challenger.DeclineRate),10}{Number(c.Challenger.Precision),11}{Number(c.Challenger.Recall),10}");
    }
}

/// <summary>One pair of versions and its comparison, as <c>models compare --json</c> prints it.</summary>
internal sealed record ModelPairComparison(string Champion, string Challenger, ModelComparison Comparison);
