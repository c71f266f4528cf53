using FraudStream.Core.Contracts;
using FraudStream.Core.Stages;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.State;
using FraudStream.Service.Hosting;
using FraudStream.Service.Tests.Infrastructure;
using FraudStream.Storage.Records;
using Microsoft.Extensions.DependencyInjection;

namespace FraudStream.Service.Tests.State;

/// <summary>
/// A build that changes the checkpoint format (version 2, 2026-12-03: the card's 8-byte day slots) meets the checkpoints
/// an older build stored: the start refuses them through the path every unusable checkpoint takes and rebuilds the
/// features from the log, rather than starting empty or failing.
/// </summary>
public sealed class OlderCheckpointFormatTests
{
    [Fact]
    public async Task A_stored_checkpoint_of_format_version_1_is_refused_and_the_features_are_rebuilt_from_the_log()
    {
        // Nothing trimmed: the replay must find the first transactions (the checkpoints group of an instance without checkpoints commits none).
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 3, trimConsumed: false);
        var database = "sqlite:" + TestServeSettings.NewSqliteFile();
        var group = "it-" + Guid.NewGuid().ToString("N")[..8];
        const int first = 60;
        using var publisher = new TransactionPublisher(broker.BootstrapServers);

        // An instance that takes no checkpoints decides the first transactions and commits them ...
        int cardsBefore;
        await using (var before = await RunningService.StartAsync(Settings(broker, database, group, checkpoints: false)))
        {
            for (var i = 0; i < first; i++)
            {
                publisher.Publish(TestTransactions.Make(i));
            }

            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
            await RunningService.WaitForAsync(async () => await before.Store.CountDecisionsAsync() == first, TimeSpan.FromSeconds(60), $"{first} decisions");
            cardsBefore = before.Services.GetRequiredService<IFeatureStage>().CardCount;
            Assert.True(cardsBefore > 0);

            // ... and the store holds the checkpoint an older build wrote (format version 1: 16-byte card day slots).
            await before.Store.SaveFeatureCheckpointAsync(new FeatureCheckpointRecord
            {
                CreatedAt = DateTime.UtcNow,
                Writer = "format-1 build",
                SchemaVersion = "fs-features-v2",
                TransactionsOffsets = PartitionOffsets.Format(new Dictionary<int, long> { [0] = 20, [1] = 20, [2] = 20 }),
                LabelsOffsets = "",
                State = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", "stage-format1-day60.fsck")),
            }, keep: 3);
        }

        var logs = new CapturedLogs();
        await using var after = await RunningService.StartAsync(Settings(broker, database, group, checkpoints: true), logs);
        var refused = Assert.Single(logs.Lines, l => l.EventId == 1505);
        Assert.Contains("checkpoint format version 1; this build reads version 2", refused.Message, StringComparison.Ordinal);
        Assert.Contains(logs.Lines, l => l.EventId == 1506 && l.Message.Contains("none of the stored ones could be restored", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Message.StartsWith("Restored checkpoint", StringComparison.Ordinal));

        // The replay folds the decided transactions back into the features, and nothing is decided twice.
        var features = after.Services.GetRequiredService<IFeatureStage>();
        await RunningService.WaitForAsync(() => Task.FromResult(features.CardCount == cardsBefore), TimeSpan.FromSeconds(60),
            $"the {cardsBefore} cards of the first {first} transactions replayed");
        for (var i = first; i < first + 20; i++)
        {
            publisher.Publish(TestTransactions.Make(i));
        }

        Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        await RunningService.WaitForAsync(async () => await after.Store.CountDecisionsAsync() == first + 20, TimeSpan.FromSeconds(60), $"{first + 20} decisions");
        var decisions = RunningService.Decisions(RunningService.ReadTopic(broker.BootstrapServers, Topics.Decisions, first + 20, TimeSpan.FromSeconds(30)));
        Assert.Equal(first + 20, decisions.Count);
        Assert.Equal(first + 20, decisions.Select(d => d.Id).Distinct().Count());
    }

    private static ServeSettings Settings(EmbeddedBroker broker, string database, string group, bool checkpoints) => new()
    {
        Bootstrap = broker.BootstrapServers,
        Database = database,
        DashboardPort = 0,
        GroupId = group,
        ModelDirectory = "none",
        RulesFile = "none",
        TokenKey = TestServeSettings.TokenKey,
        Configuration = new Dictionary<string, string?> { ["Checkpoints:Enabled"] = checkpoints ? "true" : "false" },
    };
}
