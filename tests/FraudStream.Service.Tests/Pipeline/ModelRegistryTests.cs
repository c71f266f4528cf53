using System.Text.Json;
using Dapper;
using FraudStream.Ingest.Kafka;
using FraudStream.Scoring.Packaging;
using FraudStream.Service.Hosting;
using FraudStream.Service.Tests.Infrastructure;
using FraudStream.Storage;
using FraudStream.Storage.Records;
using FraudStream.Testing;
using Microsoft.Extensions.Logging;

namespace FraudStream.Service.Tests.Pipeline;

/// <summary>
/// The model registry (docs/SCORING.md, "Registry") through real serve hosts: the instance that applies a promotion
/// stores the promoted package in the store; an instance without it as its challenger, a restarted one with only
/// <c>--model</c>, follows from there; <c>--ignore-promotions</c> keeps <c>--model</c>; a damaged package is refused
/// and the champion keeps deciding. Versions are read from the packages, never written here.
/// </summary>
public sealed class ModelRegistryTests : IDisposable
{
    private readonly TempDirectory _packages = new();

    public void Dispose() => _packages.Dispose();

    public static TheoryData<string> Stores() => DecisionServiceTests.Stores();

    /// <summary>An instance's settings: the shipped champion, the given challenger (or none), its own registry cache.</summary>
    private ServeSettings Instance(EmbeddedBroker broker, string db, string clientId, string? challenger = null, string? group = null)
    {
        var settings = ChallengerTests.Settings(broker, challenger, db, clientId);
        var configuration = new Dictionary<string, string?>(settings.Configuration!)
        {
            ["Scoring:RegistryCacheDirectory"] = CacheOf(clientId),
        };
        return settings with { Configuration = configuration, GroupId = group ?? settings.GroupId };
    }

    private static string NewDatabase(string store) =>
        store == "sqlite" ? "sqlite:" + TestServeSettings.NewSqliteFile() : "postgres:" + PostgresServer.Instance.CreateDatabase();

    private string CacheOf(string clientId) => Path.Combine(_packages.Path, "cache-" + clientId);

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task An_instance_without_the_challenger_follows_a_promotion_from_the_registry_and_a_restart_with_only_model_keeps_it(string store)
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 2);
        var db = NewDatabase(store);
        var challenger = ChallengerPackages.Synthetic(_packages.Path, seed: 11);
        var promoted = ModelPackage.Load(challenger).ModelVersion;
        var group = "it-registry-" + Guid.NewGuid().ToString("N")[..8];

        var first = await RunningService.StartAsync(Instance(broker, db, "fleet-a", challenger, group));
        var second = await RunningService.StartAsync(Instance(broker, db, "fleet-b", challenger: null, group));
        try
        {
            var champion = first.Service.ModelVersion;
            Assert.NotEqual(promoted, champion);
            ChallengerTests.Publish(broker, 0, 200);
            await ChallengerTests.WaitForDecisionsAsync(first, 200);

            using var promote = FraudstreamProcess.Start("models promote", $"models promote --db \"{db}\" --by dora --wait 60");
            Assert.True(promote.WaitForExit(TimeSpan.FromSeconds(90)), promote.OutputText);
            Assert.Equal(0, promote.ExitCode);
            await RunningService.WaitForAsync(() => Task.FromResult(second.Service.ModelVersion == promoted),
                TimeSpan.FromSeconds(60), "the instance without the challenger on the promoted champion");
            Assert.Equal(promoted, first.Service.ModelVersion);

            // The claimer (the one with the challenger) stored the package it promoted, the bytes of that folder.
            var stored = Assert.Single(await first.Store.ListModelPackagesAsync());
            Assert.Equal(promoted, stored.Version);
            Assert.StartsWith("fleet-a@", stored.StoredBy, StringComparison.Ordinal);
            var bytes = (await first.Store.GetModelPackageAsync(promoted))!.Package;
            Assert.Equal(PackageArchives.Sha256Of(bytes), stored.Sha256);
            Assert.Equal(PackageArchives.Sha256Of(PackageArchives.Create(challenger)), stored.Sha256);

            var rows = await first.Store.GetPromotionsAsync();
            var applied = Assert.Single(rows, r => r.Status == "applied");
            Assert.StartsWith("fleet-a@", applied.Instance, StringComparison.Ordinal);
            var followed = Assert.Single(rows, r => r.Status == "followed");
            Assert.StartsWith("fleet-b@", followed.Instance, StringComparison.Ordinal);
            Assert.Equal((champion, promoted), (followed.FromVersion, followed.ToVersion));
            Assert.Contains("from the registry", followed.Detail, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(Assert.Single(Directory.GetDirectories(CacheOf("fleet-b"))), ModelPackage.ManifestFileName)));

            // The later decisions carry the promoted version, those of the partition the follower decides among them.
            ChallengerTests.Publish(broker, 200, 200);
            await ChallengerTests.WaitForDecisionsAsync(first, 400);
            var decisions = (await first.Store.GetDecisionsAsync(500)).ToDictionary(d => d.Id);
            Assert.Equal(400, decisions.Count);
            var later = Enumerable.Range(200, 200).Select(i => decisions[TestTransactions.Make(i).Id]).ToList();
            Assert.All(later, d => Assert.Equal(promoted, d.ModelVersion));
            // The once-a-second report may not show the rebalance's assignment yet: wait for it.
            await RunningService.WaitForAsync(() => Task.FromResult((second.Service.Telemetry.Latest?.Instance.DecidedPartitions.Count ?? 0) > 0),
                TimeSpan.FromSeconds(30), "the follower's report of its decided partitions");
            var followersPartitions = second.Service.Telemetry.Latest!.Instance.DecidedPartitions;
            Assert.Contains(later, d => followersPartitions.Contains(d.SourcePartition));
        }
        finally
        {
            await second.DisposeAsync();
            await first.DisposeAsync();
        }

        // Restarted alone with only --model (no challenger): the promoted champion from the registry before its first decision.
        var logs = new CapturedLogs();
        await using var restarted = await RunningService.StartAsync(Instance(broker, db, "fleet-b", challenger: null, group), logs);
        Assert.Equal(promoted, restarted.Service.ModelVersion);
        Assert.Contains(logs.Lines, l => l.Message.Contains($"champion from promotion #1 ({promoted}) instead of --model", StringComparison.Ordinal));
        ChallengerTests.Publish(broker, 400, 200);
        await ChallengerTests.WaitForDecisionsAsync(restarted, 600);
        var after = (await restarted.Store.GetDecisionsAsync(700)).ToDictionary(d => d.Id);
        Assert.Equal(600, after.Count);
        for (var i = 400; i < 600; i++)
        {
            Assert.Equal(promoted, after[TestTransactions.Make(i).Id].ModelVersion);
        }

        Assert.Equal(2, (await restarted.Store.GetPromotionsAsync()).Count(r => r.Status == "followed" && r.ToVersion == promoted));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_serve_started_with_only_model_on_a_store_with_an_applied_promotion_decides_every_transaction_with_the_promoted_version(string store)
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1);
        var db = NewDatabase(store);
        var promoted = await PromotedElsewhereAsync(db, ChallengerPackages.Synthetic(_packages.Path, seed: 12));
        ChallengerTests.Publish(broker, 0, 300);

        await using var service = await RunningService.StartAsync(Instance(broker, db, "restarted"));
        Assert.Equal(promoted, service.Service.ModelVersion);
        await ChallengerTests.WaitForDecisionsAsync(service, 300);

        var decisions = await service.Store.GetDecisionsAsync(400);
        Assert.Equal(300, decisions.Count);
        Assert.All(decisions, d => Assert.Equal(promoted, d.ModelVersion));
        var followed = Assert.Single(await service.Store.GetPromotionsAsync(), r => r.Status == "followed");
        Assert.Equal((ChallengerPackages.ChampionVersion, promoted), (followed.FromVersion, followed.ToVersion));

        // `models list` shows the registry and who runs what, from the same rows.
        using var list = FraudstreamProcess.Start("models list", $"models list --db \"{db}\" --json");
        Assert.True(list.WaitForExit(TimeSpan.FromSeconds(60)), list.OutputText);
        Assert.Equal(0, list.ExitCode);
        using var json = JsonDocument.Parse(list.OutputText);
        var entry = Assert.Single(json.RootElement.GetProperty("registry").EnumerateArray().ToList());
        Assert.Equal(promoted, entry.GetProperty("version").GetString());
        Assert.Equal((await service.Store.GetModelPackageAsync(promoted))!.Sha256, entry.GetProperty("sha256").GetString());
        Assert.Equal(promoted, json.RootElement.GetProperty("champion").GetProperty("version").GetString());
        var instances = json.RootElement.GetProperty("instances").EnumerateArray()
            .ToDictionary(i => i.GetProperty("instance").GetString()!, i => (i.GetProperty("version").GetString(), i.GetProperty("how").GetString()));
        Assert.Equal((promoted, "applied"), instances["elsewhere@host:1"]);
        Assert.Equal((promoted, "followed"), Assert.Single(instances, i => i.Key.StartsWith("restarted@", StringComparison.Ordinal)).Value);
    }

    [Fact]
    public async Task With_ignore_promotions_a_serve_keeps_model_on_a_store_with_an_applied_promotion()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1);
        var db = "sqlite:" + TestServeSettings.NewSqliteFile();
        var promoted = await PromotedElsewhereAsync(db, ChallengerPackages.Synthetic(_packages.Path, seed: 12));
        ChallengerTests.Publish(broker, 0, 300);

        var logs = new CapturedLogs();
        await using var service = await RunningService.StartAsync(Instance(broker, db, "pinned") with { IgnorePromotions = true }, logs);
        await ChallengerTests.WaitForDecisionsAsync(service, 300);
        await Task.Delay(ChallengerMonitorPolls(3)); // polls that would have followed, had it not ignored promotions

        Assert.Equal(ChallengerPackages.ChampionVersion, service.Service.ModelVersion);
        Assert.All(await service.Store.GetDecisionsAsync(400), d => Assert.Equal(ChallengerPackages.ChampionVersion, d.ModelVersion));
        Assert.DoesNotContain(await service.Store.GetPromotionsAsync(), r => r.Status == "followed");
        Assert.Contains(logs.Lines, l => l.Message.Contains($"Ignoring promotions (--ignore-promotions): promotion #1 made {promoted}", StringComparison.Ordinal));
        Assert.False(Directory.Exists(CacheOf("pinned")));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_registry_package_whose_bytes_do_not_match_its_sha256_is_refused_once_and_the_champion_keeps_deciding(string store)
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1);
        var db = NewDatabase(store);
        var promoted = await PromotedElsewhereAsync(db, ChallengerPackages.Synthetic(_packages.Path, seed: 12));
        await using (var connection = await OpenStore(db).OpenConnectionAsync())
        {
            var bytes = await connection.QuerySingleAsync<byte[]>("SELECT package FROM model_packages WHERE version = @promoted", new { promoted });
            bytes[bytes.Length / 2] ^= 0x5A; // one flipped byte in the middle of the archive
            Assert.Equal(1, await connection.ExecuteAsync("UPDATE model_packages SET package = @bytes WHERE version = @promoted", new { bytes, promoted }));
        }

        var logs = new CapturedLogs();
        await using var service = await RunningService.StartAsync(Instance(broker, db, "careful"), logs);
        ChallengerTests.Publish(broker, 0, 300);
        await ChallengerTests.WaitForDecisionsAsync(service, 300);
        await Task.Delay(ChallengerMonitorPolls(3)); // later polls must neither load it nor say it again

        Assert.Equal(ChallengerPackages.ChampionVersion, service.Service.ModelVersion);
        var decisions = await service.Store.GetDecisionsAsync(400);
        Assert.Equal(300, decisions.Count);
        Assert.All(decisions, d => Assert.Equal(ChallengerPackages.ChampionVersion, d.ModelVersion));
        Assert.DoesNotContain(await service.Store.GetPromotionsAsync(), r => r.Status == "followed");
        var refusal = Assert.Single(logs.Lines, l => l.Message.Contains("from the registry is damaged: its sha256 is", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Error, refusal.Level);
        Assert.Contains($"Promotion 1 made {promoted} the champion", refusal.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(CacheOf("careful"))); // refused before anything was unpacked
    }

    [Fact]
    public async Task Serve_on_the_command_line_says_it_starts_on_the_promoted_champion_and_with_ignore_promotions_that_it_keeps_model()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1);
        var db = "sqlite:" + TestServeSettings.NewSqliteFile();
        var promoted = await PromotedElsewhereAsync(db, ChallengerPackages.Synthetic(_packages.Path, seed: 12));
        var environment = new Dictionary<string, string>
        {
            ["FRAUDSTREAM_Decisions__TokenKey"] = TestServeSettings.TokenKey,
            ["FRAUDSTREAM_Scoring__RegistryCacheDirectory"] = CacheOf("cli"),
        };

        using (var follows = FraudstreamProcess.Serve("serve", broker.BootstrapServers, db, environment))
        {
            Assert.True(follows.WaitForOutput($"champion from promotion #1 ({promoted}) instead of --model ({ChallengerPackages.ChampionVersion})",
                TimeSpan.FromSeconds(90)), follows.OutputText);
            Assert.True(follows.Terminate(TimeSpan.FromSeconds(60)), follows.OutputText);
        }

        var serve = $"serve --bootstrap {broker.BootstrapServers} --db \"{db}\" --dashboard-port 0 --model \"{ChallengerPackages.Champion}\" --ignore-promotions";
        using var pinned = FraudstreamProcess.Start("serve --ignore-promotions", serve, environment);
        Assert.True(pinned.WaitForOutput($"Ignoring promotions (--ignore-promotions): promotion #1 made {promoted} the fleet's champion; "
            + $"this instance keeps --model ({ChallengerPackages.ChampionVersion})", TimeSpan.FromSeconds(90)), pinned.OutputText);
        Assert.True(pinned.Terminate(TimeSpan.FromSeconds(60)), pinned.OutputText);
        Assert.DoesNotContain("champion from promotion", pinned.OutputText, StringComparison.Ordinal);
    }

    private static TimeSpan ChallengerMonitorPolls(int polls) => FraudStream.Pipeline.Hosting.ChallengerMonitor.PromotionPollInterval * polls;

    private static FraudStore OpenStore(string db)
    {
        Assert.True(StoreLocation.TryParse(db, out var location, out var error), error);
        return FraudStore.Open(location!);
    }

    /// <summary>
    /// The store as an instance elsewhere leaves it when it applied a promotion of <paramref name="package"/>: the request,
    /// its claim, and the applied row with the package in the registry, through the store's own calls. Returns the version.
    /// </summary>
    private static async Task<string> PromotedElsewhereAsync(string db, string package)
    {
        var store = OpenStore(db);
        await store.MigrateAsync();
        var version = ModelPackage.Load(package).ModelVersion;
        var seq = await store.RequestPromotionAsync("erin", DateTime.UtcNow);
        Assert.NotNull(await store.ClaimPromotionRequestAsync("elsewhere@host:1"));
        var bytes = PackageArchives.Create(package);
        var record = new ModelPackageRecord
        {
            Version = version, Sha256 = PackageArchives.Sha256Of(bytes), Package = bytes, StoredAt = DateTime.UtcNow, StoredBy = "elsewhere@host:1",
        };
        await store.CompletePromotionAsync(seq, applied: true, DateTime.UtcNow, ChallengerPackages.ChampionVersion, version, "promoted on elsewhere", record);
        return version;
    }
}
