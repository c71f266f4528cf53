using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Service.Hosting;
using FraudStream.Service.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace FraudStream.Service.Tests.Pipeline;

/// <summary>
/// A store outage fills the in-flight limit. The consume loop used to sleep without polling then, so an outage longer
/// than max.poll.interval.ms evicted the instance from the group and its partitions were lost. Here the interval is
/// 3 s and the store is locked for 9 s.
/// </summary>
public sealed class BackPressureTests
{
    [Fact]
    public async Task A_store_outage_longer_than_the_poll_interval_pauses_consumption_without_leaving_the_group()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 3);
        var dbFile = TestServeSettings.NewSqliteFile();
        var settings = TestServeSettings.OnBroker(broker, dbFile, new Dictionary<string, string?>
            {
                ["Decisions:MaxInFlight"] = "16",
                ["Decisions:MaxPollIntervalMs"] = "3000",
            });
        await using var service = await RunningService.StartAsync(settings);
        using var publisher = new TransactionPublisher(broker.BootstrapServers);
        publisher.Publish(TestTransactions.Make(0));
        Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == 1, TimeSpan.FromSeconds(30), "the first decision");
        var takenAwayBefore = service.Service.ConsumerCounters!.PartitionsTakenAway;

        const int n = 300;
        using (var blocker = new SqliteConnection($"Data Source={dbFile};Pooling=False"))
        {
            blocker.Open();
            using (var begin = blocker.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE";
                begin.ExecuteNonQuery();
            }

            for (var i = 1; i <= n; i++)
            {
                publisher.Publish(TestTransactions.Make(i));
            }

            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
            await Task.Delay(TimeSpan.FromSeconds(9));
            Assert.True(service.Service.ConsumerCounters.Pauses > 0, "consumption paused at the in-flight limit");
            Assert.True(service.Service.InFlight <= 16 + 10, $"in flight {service.Service.InFlight} stays near the limit");
            using var rollback = blocker.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }

        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == n + 1, TimeSpan.FromSeconds(60), "every decision after the outage");
        Assert.Equal(takenAwayBefore, service.Service.ConsumerCounters.PartitionsTakenAway);
        var decisions = RunningService.Decisions(RunningService.ReadTopic(broker.BootstrapServers, Topics.Decisions, n + 1, TimeSpan.FromSeconds(30)));
        Assert.Equal(n + 1, decisions.Select(d => d.Id).Distinct().Count());
        Assert.Equal(n + 1, decisions.Count);
    }
}
