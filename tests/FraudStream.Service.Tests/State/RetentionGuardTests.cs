using System.Globalization;
using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.State;
using FraudStream.Service.Hosting;
using FraudStream.Service.Tests.Infrastructure;
using FraudStream.Testing;

namespace FraudStream.Service.Tests.State;

/// <summary>
/// <c>Checkpoints:GuardRetention</c>: on, each saved checkpoint's offsets on transactions and labels are committed under
/// <c>GROUP-checkpoints</c> (what keeps the embedded broker from trimming a restore's replay); off, that group commits
/// nothing. The labels consumer commits its own progress under <c>GROUP-labels</c> either way.
/// </summary>
public sealed class RetentionGuardTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fs-guard-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Saved_checkpoints_commit_their_offsets_under_the_checkpoints_group_only_while_the_guard_is_on(bool guard)
    {
        Directory.CreateDirectory(_folder);
        using var broker = EmbeddedBroker.Start();
        var database = "sqlite:" + Path.Combine(_folder, "store.db");
        var group = "guard-" + Guid.NewGuid().ToString("N")[..8];
        await using var service = await RunningService.StartAsync(new ServeSettings
        {
            Bootstrap = broker.BootstrapServers,
            Database = database,
            DashboardPort = 0,
            GroupId = group,
            TokenKey = TestServeSettings.TokenKey,
            ModelDirectory = RepositoryPaths.Of("data", "model"),
            RulesFile = RepositoryPaths.Of("data", "rules", "default.rules"),
            Configuration = new Dictionary<string, string?>
            {
                ["Decisions:MaxFutureSkewSeconds"] = "315360000", // the simulator's event time runs ahead of the clock
                ["Checkpoints:IntervalSeconds"] = "1",
                ["Checkpoints:GuardRetention"] = guard.ToString(CultureInfo.InvariantCulture),
            },
        });

        using var produce = SimulatedStream.Produce(broker.BootstrapServers, count: 6_000, rate: 2_000, seed: 5);
        var store = SimulatedStream.Store(database);
        await RunningService.WaitForAsync(async () => await SimulatedStream.DecidedAsync(store) >= 3_000, TimeSpan.FromSeconds(90), "3,000 decisions");
        var saved = (await store.ListFeatureCheckpointsAsync()).Count;
        await RunningService.WaitForAsync(async () => (await store.ListFeatureCheckpointsAsync()).Count >= Math.Min(saved + 2, 3), TimeSpan.FromSeconds(30),
            "two more checkpoints saved after decisions (the guard commits right after each save)");

        var guarded = CommittedPartitions(broker.BootstrapServers, StateCheckpointer.RetentionGroup(group), Topics.Transactions);
        var guardedLabels = CommittedPartitions(broker.BootstrapServers, StateCheckpointer.RetentionGroup(group), Topics.Labels);
        if (guard)
        {
            Assert.True(guarded > 0, $"no transactions offset committed under {StateCheckpointer.RetentionGroup(group)} with the guard on");
            Assert.True(guardedLabels > 0, $"no labels offset committed under {StateCheckpointer.RetentionGroup(group)} with the guard on");
        }
        else
        {
            Assert.Equal((0, 0), (guarded, guardedLabels));
        }

        // Either way the labels consumer commits what it has stored under GROUP-labels, so the embedded broker trims the labels.
        await RunningService.WaitForAsync(() => Task.FromResult(CommittedPartitions(broker.BootstrapServers, group + "-labels", Topics.Labels) > 0),
            TimeSpan.FromSeconds(30), "the labels consumer's progress committed under GROUP-labels");
    }

    /// <summary>How many of the topic's partitions have an offset committed under the group.</summary>
    private static int CommittedPartitions(string bootstrap, string group, string topic)
    {
        var partitions = TopicPartitions.Of(bootstrap, topic);
        Assert.NotEmpty(partitions);
        var config = KafkaClients.ConsumerConfig(bootstrap, group, "guard-reader");
        config.GroupProtocol = GroupProtocol.Classic;
        using var reader = new ConsumerBuilder<byte[], byte[]>(config).Build();
        var committed = reader.Committed(partitions.Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10));
        reader.Close();
        return committed.Count(c => c.Offset.Value >= 0);
    }
}
