using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FraudStream.Core.Telemetry;
using FraudStream.Storage;
using FraudStream.Storage.Records;

namespace FraudStream.Service.Cli;

/// <summary>
/// <c>models compare</c>: champion against challenger from the stored decisions (the same sums and the same
/// <see cref="ModelComparison"/> the dashboard shows). <c>models promote</c>: asks a running serve, through the store,
/// to make its challenger the champion, and waits for its answer (recorded with who and when in <c>model_promotions</c>).
/// <c>models list</c>: the store's model registry, the fleet's champion and each instance's, from the promotion rows.
/// </summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var models = new Command("models", "Champion and challenger: compare them from the store, promote the challenger");
        models.Subcommands.Add(Compare());
        models.Subcommands.Add(Promote());
        models.Subcommands.Add(List());
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

    private static Command List()
    {
        var db = StoreOption();
        var json = new Option<bool>("--json") { Description = "Print the registry and the instances as JSON" };
        var command = new Command("list", "The store's model registry (promoted packages), the fleet's champion and the champion of each instance that applied or followed a promotion")
        {
            db, json,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            if (!TryOpen(parse.GetValue(db)!, out var store))
            {
                return 2;
            }

            await store!.MigrateAsync(cancellation);
            var packages = await store.ListModelPackagesAsync(cancellation);
            var latest = await store.LatestAppliedPromotionAsync(cancellation);
            var instances = InstanceChampions(await store.GetPromotionsAsync(cancellation));
            var listing = new ModelsListing(
                [.. packages.Select(p => new RegistryEntry(p.Version, p.Sha256, p.SizeBytes, p.StoredAt, p.StoredBy))],
                latest is null ? null : new FleetChampion(latest.Seq, latest.ToVersion ?? "", latest.Instance ?? "", latest.AppliedAt),
                instances);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(listing, EvaluationJson.Options));
                return 0;
            }

            Print(listing);
            return 0;
        });
        return command;
    }

    /// <summary>Each instance's latest <c>applied</c> or <c>followed</c> row: the champion it switched to last.</summary>
    private static List<InstanceChampion> InstanceChampions(IReadOnlyList<ModelPromotionRecord> rows)
    {
        var latest = new Dictionary<string, InstanceChampion>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (row.Instance is not { } instance || row.Status is not ("applied" or "followed"))
            {
                continue;
            }

            // A followed row names the promotion it followed in requested_by ("promotion N"); an applied row is its own.
            var promotion = row.Status == "applied" ? row.Seq : long.TryParse(row.RequestedBy.Replace("promotion ", "", StringComparison.Ordinal),
                NumberStyles.Integer, CultureInfo.InvariantCulture, out var followed) ? followed : row.Seq;
            latest[instance] = new InstanceChampion(instance, row.ToVersion ?? "", row.Status, promotion, row.AppliedAt);
        }

        return [.. latest.Values.OrderBy(i => i.Instance, StringComparer.Ordinal)];
    }

    private static void Print(ModelsListing listing)
    {
        static string Time(DateTime? at) => at?.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";
        Console.WriteLine(listing.Registry.Count == 0 ? "registry: empty (no promotion stored a package yet)" : "registry:");
        foreach (var p in listing.Registry)
        {
            Console.WriteLine($"  {p.Version}  sha256 {p.Sha256[..Math.Min(16, p.Sha256.Length)]}  {p.SizeBytes:N0} bytes  stored {Time(p.StoredAt)} by {p.StoredBy}");
        }

        Console.WriteLine(listing.Champion is { } c
            ? $"fleet champion: {c.Version} (promotion #{c.Promotion}, applied on {c.AppliedOn} at {Time(c.AppliedAt)})"
            : "fleet champion: none promoted (each instance runs its --model)");
        if (listing.Instances.Count > 0)
        {
            // Names carry the process id: a restart is a new name, and the rows of stopped instances stay.
            Console.WriteLine("instances (latest applied or followed promotion; one that never switched runs its --model and is not listed):");
        }

        foreach (var i in listing.Instances)
        {
            Console.WriteLine($"  {i.Instance}  {i.Version}  ({i.How} #{i.Promotion} at {Time(i.Since)})");
        }
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

/// <summary><c>models list --json</c>: the registry, the fleet's champion (the latest applied promotion) and each instance's.</summary>
internal sealed record ModelsListing(IReadOnlyList<RegistryEntry> Registry, FleetChampion? Champion, IReadOnlyList<InstanceChampion> Instances);

internal sealed record RegistryEntry(string Version, string Sha256, long SizeBytes, DateTime StoredAt, string StoredBy);

internal sealed record FleetChampion(long Promotion, string Version, string AppliedOn, DateTime? AppliedAt);

/// <param name="How"><c>applied</c> (it claimed the request) or <c>followed</c>.</param>
internal sealed record InstanceChampion(string Instance, string Version, string How, long Promotion, DateTime? Since);

/// <summary>One pair of versions and its comparison, as <c>models compare --json</c> prints it.</summary>
internal sealed record ModelPairComparison(string Champion, string Challenger, ModelComparison Comparison);
