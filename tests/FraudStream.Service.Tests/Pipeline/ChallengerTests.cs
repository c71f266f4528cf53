using System.Text.Json;
using FraudStream.Core.Contracts;
using FraudStream.Core.Telemetry;
using FraudStream.Ingest.Kafka;
using FraudStream.Scoring.Stage;
using FraudStream.Service.Hosting;
using FraudStream.Service.Tests.Infrastructure;
using FraudStream.Storage.Records;
using FraudStream.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FraudStream.Service.Tests.Pipeline;

/// <summary>
/// A challenger model in shadow (docs/SCORING.md) through the real service: stored beside every decision, never
/// changing one; refused on another feature schema; counted, not felt, when it fails; compared from the store by
/// `fraudstream models compare`; promoted by `fraudstream models promote`. One partition, so the merchant graph sees
/// the stream in one order and two runs of it compute the same features.
/// </summary>
public sealed class ChallengerTests : IDisposable
{
    private const int Count = 1500;
    private readonly TempDirectory _packages = new();

    public void Dispose() => _packages.Dispose();

    /// <param name="clientId">The instance's client id (its name in the store's promotion rows); null: the service's default.</param>
    internal static ServeSettings Settings(EmbeddedBroker broker, string? challenger, string? db = null, string? clientId = null)
    {
        var configuration = new Dictionary<string, string?>
        {
            // The budget and load skip are for production; here every batch must be scored, on a busy test machine too.
            ["Scoring:ChallengerBudgetMicros"] = "10000000",
        };
        if (clientId is not null)
        {
            configuration["Decisions:ClientId"] = clientId;
        }

        return TestServeSettings.OnBroker(broker, configuration: configuration) with
        {
            ModelDirectory = ChallengerPackages.Champion,
            ChallengerDirectory = challenger,
            Database = db ?? "sqlite:" + TestServeSettings.NewSqliteFile(),
        };
    }

    [Fact]
    public async Task A_challenger_is_stored_beside_every_decision_and_the_decisions_equal_those_of_a_serve_without_it()
    {
        var without = await DecideAllWithoutChallengerAsync();
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1);
        Publish(broker, 0, Count);
        var copy = ChallengerPackages.CopyOfChampion(_packages.Path, "champion-copy");

        await using var service = await RunningService.StartAsync(Settings(broker, copy));
        await WaitForDecisionsAsync(service, Count);
        var with = await service.Store.GetDecisionsAsync(Count + 10);

        var telemetry = await TelemetryAsync(service, t => t.ScoredRows + t.SkippedRows.Sum() >= Count);
        Assert.Equal(Count, telemetry.ScoredRows);
        Assert.Equal(Count, with.Count);
        AssertSameDecisions(without, with);
        Assert.All(with, d =>
        {
            // The same model under another name: its score and its would-be decision (same rules) are the real ones.
            Assert.Equal("champion-copy", d.ChallengerVersion);
            Assert.Equal(d.Score, d.ChallengerScore);
            Assert.Equal(d.Decision, d.ChallengerDecision);
        });
        Assert.All(without, d => Assert.Null(d.ChallengerScore));
        Assert.Contains(with, d => d.Decision != "approve"); // the rules flag some: the would-be path is exercised
        Assert.Equal("scoring", telemetry.State);
        Assert.All(telemetry.SkippedRows, skipped => Assert.Equal(0, skipped));
    }

    [Fact]
    public void A_challenger_on_another_feature_schema_stops_serve_at_start_with_the_reason()
    {
        var other = ChallengerPackages.OtherSchema(_packages.Path);
        using var serve = FraudstreamProcess.Start("serve", $"serve --bootstrap 127.0.0.1:9 --db \"sqlite:{TestServeSettings.NewSqliteFile()}\" "
            + $"--dashboard-port 0 --model \"{ChallengerPackages.Champion}\" --challenger \"{other}\"",
            new Dictionary<string, string> { ["FRAUDSTREAM_Decisions__TokenKey"] = TestServeSettings.TokenKey });

        Assert.True(serve.WaitForExit(TimeSpan.FromSeconds(60)), "serve did not exit:\n" + serve.OutputText);
        Assert.Equal(2, serve.ExitCode);
        Assert.Contains($"configuration error: Scoring:ChallengerDirectory (--challenger): challenger package '{other}' refused: "
            + $"model package '{other}' was trained on feature schema '{Features.Schema.FeatureSchema.Version}-old'", serve.OutputText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_challenger_on_another_feature_schema_arriving_in_the_watched_folder_is_refused_and_shown()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1);
        var watched = Directory.CreateDirectory(Path.Combine(_packages.Path, "watched")).FullName;
        await using var service = await RunningService.StartAsync(Settings(broker, watched));
        var stage = service.Services.GetRequiredService<ModelScoringStage>();
        Assert.Equal("none", stage.ChallengerNow().State); // an empty folder is no challenger yet

        CopyInto(ChallengerPackages.OtherSchema(_packages.Path), watched);
        stage.RefreshChallenger();
        Publish(broker, 0, 200);
        await WaitForDecisionsAsync(service, 200);

        var telemetry = await TelemetryAsync(service, t => t.State == "refused");
        Assert.Contains("was trained on feature schema", telemetry.Rejected, StringComparison.Ordinal);
        Assert.Null(stage.Challenger);
        Assert.All(await service.Store.GetDecisionsAsync(300), d => Assert.Null(d.ChallengerScore));
    }

    [Fact]
    public async Task A_new_package_in_the_watched_folder_replaces_the_loaded_challenger_between_batches()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1);
        var watched = Directory.CreateDirectory(Path.Combine(_packages.Path, "watched")).FullName;
        CopyInto(ChallengerPackages.Synthetic(_packages.Path, seed: 11), watched);
        await using var service = await RunningService.StartAsync(Settings(broker, watched));
        var stage = service.Services.GetRequiredService<ModelScoringStage>();
        Assert.Equal("synthetic-40x4-11", stage.Challenger?.Version);
        Publish(broker, 0, 200);
        await WaitForDecisionsAsync(service, 200);

        CopyInto(ChallengerPackages.Synthetic(_packages.Path, seed: 12), watched);
        stage.RefreshChallenger();
        Assert.Equal("synthetic-40x4-12", stage.Challenger?.Version);
        Publish(broker, 200, 200);
        await WaitForDecisionsAsync(service, 400);

        var decisions = await service.Store.GetDecisionsAsync(500);
        Assert.Equal(400, decisions.Count);
        Assert.Equal(400, decisions.Select(d => d.Id).Distinct().Count());
        var byId = decisions.ToDictionary(d => d.Id);
        for (var i = 0; i < 400; i++)
        {
            var d = byId[TestTransactions.Make(i).Id];
            Assert.Equal(i < 200 ? "synthetic-40x4-11" : "synthetic-40x4-12", d.ChallengerVersion);
            Assert.NotNull(d.ChallengerScore);
            Assert.Equal(ChallengerPackages.ChampionVersion, d.ModelVersion); // the champion never changes
        }
    }

    private static void CopyInto(string package, string folder)
    {
        foreach (var file in Directory.GetFiles(package))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        }
    }

    [Fact]
    public async Task A_challenger_that_fails_on_real_data_leaves_every_decision_unchanged_and_is_counted()
    {
        var without = await DecideAllWithoutChallengerAsync();
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1);
        Publish(broker, 0, Count);

        await using var service = await RunningService.StartAsync(Settings(broker, ChallengerPackages.FailsOnRealData(_packages.Path)));
        Assert.Equal("fails-on-real-data", service.Services.GetRequiredService<ModelScoringStage>().Challenger?.Version); // it loaded and warmed
        await WaitForDecisionsAsync(service, Count);
        var with = await service.Store.GetDecisionsAsync(Count + 10);

        AssertSameDecisions(without, with);
        Assert.All(with, d => Assert.Null(d.ChallengerScore));
        // Every transaction's batch either threw or came while the challenger sat out the cool-down after a throw.
        var telemetry = await TelemetryAsync(service, t => t.Skipped(ChallengerSkip.Error) == Count);
        Assert.Equal(0, telemetry.ScoredRows);
        Assert.Equal(0, telemetry.Skipped(ChallengerSkip.Load));
    }

    public static TheoryData<string> Stores() => DecisionServiceTests.Stores();

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Models_compare_prints_the_numbers_computed_from_the_stored_rows_and_the_dashboard_shows_the_same(string store)
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1);
        var db = store == "sqlite" ? "sqlite:" + TestServeSettings.NewSqliteFile() : "postgres:" + PostgresServer.Instance.CreateDatabase();
        await using var service = await RunningService.StartAsync(Settings(broker, ChallengerPackages.Synthetic(_packages.Path, seed: 5), db));
        Publish(broker, 0, Count);
        await WaitForDecisionsAsync(service, Count);
        var labelled = PublishLabels(broker, every: 7);
        await RunningService.WaitForAsync(async () => (await service.Store.GetLabeledDecisionsAsync()).Count(d => d.Fraud is not null) == labelled,
            TimeSpan.FromSeconds(60), $"{labelled} labels stored");

        var rows = await service.Store.GetDecisionsAsync(Count + 10);
        var labels = (await service.Store.GetLabeledDecisionsAsync()).Where(d => d.Fraud is not null).ToDictionary(d => d.Id, d => d.Fraud!.Value);
        var expected = Expected(rows, labels);

        using var compare = FraudstreamProcess.Start("models compare", $"models compare --db \"{db}\" --json");
        Assert.True(compare.WaitForExit(TimeSpan.FromSeconds(60)), compare.OutputText);
        Assert.Equal(0, compare.ExitCode);
        using var json = JsonDocument.Parse(compare.OutputText);
        var pair = Assert.Single(json.RootElement.EnumerateArray().ToList());
        Assert.Equal(rows[0].ModelVersion, pair.GetProperty("champion").GetString());
        Assert.Equal("synthetic-40x4-5", pair.GetProperty("challenger").GetString());
        var printed = pair.GetProperty("comparison");
        Assert.Equal(Count, printed.GetProperty("compared").GetInt64());
        Assert.Equal(labels.Count, printed.GetProperty("labelled").GetInt64());
        Near(expected.Agreement, printed.GetProperty("agreement"));
        Near(expected.Correlation, printed.GetProperty("score_correlation"));
        foreach (var (side, numbers) in new[] { ("champion", expected.Champion), ("challenger", expected.Challenger) })
        {
            var printedSide = printed.GetProperty(side);
            Near(numbers.Review, printedSide.GetProperty("review_rate"));
            Near(numbers.Decline, printedSide.GetProperty("decline_rate"));
            Near(numbers.Precision, printedSide.GetProperty("precision"));
            Near(numbers.Recall, printedSide.GetProperty("recall"));
        }

        Assert.True(expected.Agreement is > 0 and < 1, $"agreement {expected.Agreement}: another model should agree on some, not all");

        // The live view reads the same sums from the store: the same numbers.
        await service.Service.RefreshComparisonAsync();
        var live = (await TelemetryAsync(service, t => t.Comparison?.Labelled == labels.Count)).Comparison!;
        Assert.Equal(expected.Agreement, live.Agreement, 12);
        Assert.Equal(expected.Correlation!.Value, live.ScoreCorrelation!.Value, 9);
        Assert.Equal(expected.Challenger.Recall!.Value, live.Challenger.Recall!.Value, 12);

        using var text = FraudstreamProcess.Start("models compare", $"models compare --db \"{db}\"");
        Assert.True(text.WaitForExit(TimeSpan.FromSeconds(60)), text.OutputText);
        Assert.Contains($"decision agreement  {expected.Agreement:F4}", text.OutputText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_promote_makes_the_challenger_the_champion_of_later_decisions_and_records_who_and_when()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1);
        var db = "sqlite:" + TestServeSettings.NewSqliteFile();
        await using var service = await RunningService.StartAsync(Settings(broker, ChallengerPackages.Synthetic(_packages.Path, seed: 11), db));
        var champion = service.Service.ModelVersion;
        Publish(broker, 0, 300);
        await WaitForDecisionsAsync(service, 300);
        var requested = DateTime.UtcNow;

        using var promote = FraudstreamProcess.Start("models promote", $"models promote --db \"{db}\" --by alice --wait 60");
        Assert.True(promote.WaitForExit(TimeSpan.FromSeconds(90)), promote.OutputText);
        Assert.Equal(0, promote.ExitCode);
        Assert.Contains("synthetic-40x4-11 is the champion", promote.OutputText, StringComparison.Ordinal);
        Publish(broker, 300, 300);
        await WaitForDecisionsAsync(service, 600);

        var decisions = (await service.Store.GetDecisionsAsync(700)).ToDictionary(d => d.Id);
        for (var i = 0; i < 300; i++)
        {
            var before = decisions[TestTransactions.Make(i).Id];
            Assert.Equal(champion, before.ModelVersion);
            Assert.Equal("synthetic-40x4-11", before.ChallengerVersion);
            var after = decisions[TestTransactions.Make(300 + i).Id];
            Assert.Equal("synthetic-40x4-11", after.ModelVersion);
            Assert.Null(after.ChallengerVersion); // the challenger is the champion now; no challenger until a new one arrives
        }

        var row = await service.Store.GetPromotionAsync(1);
        Assert.NotNull(row);
        Assert.Equal("applied", row.Status);
        Assert.Equal("alice", row.RequestedBy);
        Assert.Equal(champion, row.FromVersion);
        Assert.Equal("synthetic-40x4-11", row.ToVersion);
        Assert.InRange(row.RequestedAt, requested.AddSeconds(-5), DateTime.UtcNow);
        Assert.NotNull(row.AppliedAt);
        Assert.Equal("promoted", (await TelemetryAsync(service, t => t.State == "promoted")).State);
    }

    [Fact]
    public async Task A_promotion_reaches_every_instance_of_the_group_and_a_restarted_instance_keeps_it()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 2);
        var db = "sqlite:" + TestServeSettings.NewSqliteFile();
        var challenger = ChallengerPackages.Synthetic(_packages.Path, seed: 11);
        var group = "it-fleet-" + Guid.NewGuid().ToString("N")[..8];
        ServeSettings Instance(string name) => Settings(broker, challenger, db, clientId: name) with { GroupId = group };

        await using var first = await RunningService.StartAsync(Instance("fleet-a"));
        var second = await RunningService.StartAsync(Instance("fleet-b"));
        var secondStopped = false;
        try
        {
            var champion = first.Service.ModelVersion;
            Publish(broker, 0, 200);
            await WaitForDecisionsAsync(first, 200);

            using var promote = FraudstreamProcess.Start("models promote", $"models promote --db \"{db}\" --by bob --wait 60");
            Assert.True(promote.WaitForExit(TimeSpan.FromSeconds(90)), promote.OutputText);
            Assert.Equal(0, promote.ExitCode);

            // One instance claimed the request; the other follows the applied promotion within a poll or two.
            await RunningService.WaitForAsync(() => Task.FromResult(first.Service.ModelVersion == "synthetic-40x4-11" && second.Service.ModelVersion == "synthetic-40x4-11"),
                TimeSpan.FromSeconds(30), "both instances on the promoted champion");
            var rows = await first.Store.GetPromotionsAsync();
            var applied = Assert.Single(rows, r => r.Status == "applied");
            var followed = Assert.Single(rows, r => r.Status == "followed");
            Assert.Equal("bob", applied.RequestedBy);
            Assert.Equal(champion, followed.FromVersion);
            Assert.Equal("synthetic-40x4-11", followed.ToVersion);
            Assert.NotEqual(applied.Instance, followed.Instance);
            Assert.Contains(followed.Instance!.Split('@')[0], new[] { "fleet-a", "fleet-b" });

            Publish(broker, 200, 200);
            await WaitForDecisionsAsync(first, 400);
            var decisions = (await first.Store.GetDecisionsAsync(500)).ToDictionary(d => d.Id);
            for (var i = 200; i < 400; i++)
            {
                Assert.Equal("synthetic-40x4-11", decisions[TestTransactions.Make(i).Id].ModelVersion);
            }

            // A restart loads --model again, then follows the promotion the fleet applied: the champion stays promoted.
            secondStopped = true;
            await second.DisposeAsync();
            await using var third = await RunningService.StartAsync(Instance("fleet-c"));
            await RunningService.WaitForAsync(() => Task.FromResult(third.Service.ModelVersion == "synthetic-40x4-11"),
                TimeSpan.FromSeconds(30), "the restarted instance on the promoted champion");
            Assert.Equal(2, (await first.Store.GetPromotionsAsync()).Count(r => r.Status == "followed" && r.ToVersion == "synthetic-40x4-11"));
        }
        finally
        {
            if (!secondStopped)
            {
                await second.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Under_load_the_challenger_is_dropped_first_counted_in_metrics_with_a_null_score_and_every_transaction_decided_once()
    {
        // The trigger: four workers on four partitions, each worker's batch split into parts of two rows (MaxBatchSize),
        // so the scoring thread finds the other workers' parts waiting behind nearly every batch; skipping at one
        // waiting submission drops the challenger then. Fed in rounds until the counter moves (a bound, not a timing).
        const int Round = 2000;
        const int MaxRounds = 10;
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 4);
        var port = Dashboard.LiveDashboardTests.FreePort();
        var settings = Settings(broker, ChallengerPackages.Synthetic(_packages.Path, seed: 7));
        var configuration = new Dictionary<string, string?>(settings.Configuration!)
        {
            ["Scoring:ChallengerSkipAtWaiting"] = "1",
            ["Scoring:MaxBatchSize"] = "2",
        };
        await using var service = await RunningService.StartAsync(settings with { Configuration = configuration, Workers = 4, DashboardPort = port });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        var published = 0;
        double skippedForLoad = 0;
        for (var round = 0; round < MaxRounds && skippedForLoad == 0; round++)
        {
            Publish(broker, published, Round);
            published += Round;
            await WaitForDecisionsAsync(service, published);
            await Task.Delay(TimeSpan.FromSeconds(1.5)); // the metrics follow the once-a-second snapshots
            skippedForLoad = Skipped(await http.GetStringAsync("metrics"), "load");
        }

        Assert.True(skippedForLoad > 0, $"no load skip in {published} transactions");
        var decisions = await service.Store.GetDecisionsAsync(published + 10);
        var metrics = await http.GetStringAsync("metrics");
        skippedForLoad = Skipped(metrics, "load");
        Assert.Equal(0, Skipped(metrics, "error"));
        Assert.Equal(0, Skipped(metrics, "over_budget"));

        // Every row the challenger skipped belongs to a decision stored without a challenger score (a submission
        // whose other part was skipped is stored without one too), and the rest carry the challenger's.
        var unscored = decisions.Count(d => d.ChallengerScore is null);
        Assert.InRange(unscored, (int)skippedForLoad, published - 1);
        Assert.All(decisions.Where(d => d.ChallengerScore is null), d => Assert.Null(d.ChallengerVersion));
        Assert.All(decisions.Where(d => d.ChallengerScore is not null), d => Assert.Equal("synthetic-40x4-7", d.ChallengerVersion));

        // Each transaction decided once: once in the store, once on the decisions topic.
        Assert.Equal(published, decisions.Count);
        Assert.Equal(published, decisions.Select(d => d.Id).Distinct().Count());
        var produced = RunningService.Decisions(RunningService.ReadTopic(broker.BootstrapServers, Topics.Decisions, published, TimeSpan.FromSeconds(60)));
        Assert.Equal(published, produced.Count);
        Assert.Equal(published, produced.Select(d => d.Id).Distinct().Count());
    }

    private static double Skipped(string metrics, string reason)
    {
        var match = System.Text.RegularExpressions.Regex.Match(metrics,
            "^fraudstream_challenger_skipped_total\\{reason=\"" + reason + "\"\\} (\\S+)", System.Text.RegularExpressions.RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    internal static void Publish(EmbeddedBroker broker, int from, int count)
    {
        using var publisher = new TransactionPublisher(broker.BootstrapServers);
        for (var i = from; i < from + count; i++)
        {
            publisher.Publish(TestTransactions.Make(i));
        }

        Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
    }

    /// <summary>Labels for every <paramref name="every"/>-th transaction, a third of them fraud; returns how many.</summary>
    private static int PublishLabels(EmbeddedBroker broker, int every)
    {
        using var publisher = new TransactionPublisher(broker.BootstrapServers);
        var n = 0;
        for (var i = 0; i < Count; i += every)
        {
            publisher.Publish(new Label(TestTransactions.Make(i).Id, Fraud: n % 3 == 0, new DateTime(2026, 11, 20, 0, 0, 0, DateTimeKind.Utc)));
            n++;
        }

        Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        return n;
    }

    /// <summary>
    /// The stream decided without a challenger, on a broker of its own: a second service on the same broker would find
    /// these decisions on the decisions topic and store them as produced before (docs/RELIABILITY.md), not decide again.
    /// </summary>
    private static async Task<IReadOnlyList<DecisionRecord>> DecideAllWithoutChallengerAsync()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1);
        Publish(broker, 0, Count);
        await using var service = await RunningService.StartAsync(Settings(broker, challenger: null));
        await WaitForDecisionsAsync(service, Count);
        return await service.Store.GetDecisionsAsync(Count + 10);
    }

    internal static Task WaitForDecisionsAsync(RunningService service, int count) =>
        RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() >= count, TimeSpan.FromSeconds(90), $"{count} stored decisions");

    private static async Task<ChallengerTelemetry> TelemetryAsync(RunningService service, Func<ChallengerTelemetry, bool> condition)
    {
        ChallengerTelemetry? seen = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            seen = service.Service.Telemetry.Latest?.Challenger;
            if (seen is not null && condition(seen))
            {
                return seen;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"timed out waiting for the challenger's telemetry; last: {seen} skipped [{string.Join(", ", seen?.SkippedRows ?? [])}]");
        return seen!;
    }

    private static void AssertSameDecisions(IReadOnlyList<DecisionRecord> expected, IReadOnlyList<DecisionRecord> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        var byId = actual.ToDictionary(d => d.Id);
        foreach (var e in expected)
        {
            var a = byId[e.Id];
            Assert.Equal((e.Id, e.Decision, e.Score, e.Reasons, e.ModelVersion), (a.Id, a.Decision, a.Score, a.Reasons, a.ModelVersion));
        }
    }

    private static void Near(double? expected, JsonElement printed)
    {
        if (expected is null)
        {
            Assert.Equal(JsonValueKind.Null, printed.ValueKind);
            return;
        }

        Assert.Equal(expected.Value, printed.GetDouble(), 9);
    }

    private sealed record Side(double Review, double Decline, double? Precision, double? Recall);

    private sealed record Comparison(double Agreement, double? Correlation, Side Champion, Side Challenger);

    /// <summary>The comparison computed here from the rows, independently of the store's sums: two-pass Pearson, plain counts.</summary>
    private static Comparison Expected(IReadOnlyList<DecisionRecord> rows, Dictionary<string, bool> labels)
    {
        var n = (double)rows.Count;
        var agreement = rows.Count(r => r.Decision == r.ChallengerDecision) / n;
        var scored = rows.Where(r => r.Score is not null).ToList();
        var meanX = scored.Average(r => r.Score!.Value);
        var meanY = scored.Average(r => r.ChallengerScore!.Value);
        var cov = scored.Sum(r => (r.Score!.Value - meanX) * (r.ChallengerScore!.Value - meanY));
        var varX = scored.Sum(r => Math.Pow(r.Score!.Value - meanX, 2));
        var varY = scored.Sum(r => Math.Pow(r.ChallengerScore!.Value - meanY, 2));
        double? correlation = varX > 0 && varY > 0 ? cov / Math.Sqrt(varX * varY) : null;
        var frauds = labels.Count(l => l.Value);

        Side SideOf(Func<DecisionRecord, string> decision)
        {
            var flagged = rows.Where(r => labels.ContainsKey(r.Id) && decision(r) is "review" or "decline").ToList();
            var caught = flagged.Count(r => labels[r.Id]);
            return new Side(rows.Count(r => decision(r) == "review") / n, rows.Count(r => decision(r) == "decline") / n,
                flagged.Count == 0 ? null : (double)caught / flagged.Count, frauds == 0 ? null : (double)caught / frauds);
        }

        return new Comparison(agreement, correlation, SideOf(r => r.Decision), SideOf(r => r.ChallengerDecision!));
    }
}
