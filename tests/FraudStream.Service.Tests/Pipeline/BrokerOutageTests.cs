using System.Text;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Service.Hosting;
using FraudStream.Service.Tests.Infrastructure;

namespace FraudStream.Service.Tests.Pipeline;

/// <summary>
/// The whole cluster goes down mid-stream (the mock cluster's own broker-down hook) and comes back: every transaction
/// still gets exactly one decision, and each card's decisions stay in the order of its transactions.
/// </summary>
public sealed class BrokerOutageTests
{
    [Fact]
    public async Task An_outage_of_every_broker_loses_nothing_and_keeps_each_cards_decisions_in_order()
    {
        using var broker = EmbeddedBroker.Start(brokers: 3, partitions: 6);
        await using var service = await RunningService.StartAsync(TestServeSettings.OnBroker(broker));
        const int n = 3000;
        using var publisher = new TransactionPublisher(broker.BootstrapServers);
        for (var i = 0; i < n; i++)
        {
            publisher.Publish(TestTransactions.Make(i));
        }

        Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() >= 200, TimeSpan.FromSeconds(30), "decisions before the outage");
        broker.AllBrokers(up: false);
        await Task.Delay(TimeSpan.FromSeconds(6));
        broker.AllBrokers(up: true);

        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == n, TimeSpan.FromSeconds(90), $"{n} decisions after the outage");
        var records = RunningService.ReadTopic(broker.BootstrapServers, Topics.Decisions, n, TimeSpan.FromSeconds(60));
        AssertExactlyOnceInCardOrder(records.Select(r => (Encoding.UTF8.GetString(r.Message.Key), DecisionMessage.Parse(r.Message.Value).Id)).ToList(), n);
    }

    [Fact]
    public async Task Deliveries_that_time_out_are_produced_again_in_one_round_not_one_every_50_ms()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 3);
        await using var service = await RunningService.StartAsync(TestServeSettings.OnBroker(broker, configuration: new() { ["Decisions:DeliveryTimeoutMs"] = "1500" }));
        const int n = 2000;
        using var publisher = new TransactionPublisher(broker.BootstrapServers);
        for (var i = 0; i < n; i++)
        {
            publisher.Publish(TestTransactions.Make(i));
        }

        Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() >= 1, TimeSpan.FromSeconds(30), "a first decision");
        broker.AllBrokers(up: false);
        await Task.Delay(TimeSpan.FromSeconds(5));
        broker.AllBrokers(up: true);

        // One message every 50 ms would need over 90 s for the timed-out ones alone.
        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == n, TimeSpan.FromSeconds(45), $"{n} decisions after the outage");
        var ids = RunningService.Decisions(RunningService.ReadTopic(broker.BootstrapServers, Topics.Decisions, n, TimeSpan.FromSeconds(60))).Select(d => d.Id).ToHashSet();
        Assert.Equal(n, ids.Count);
    }

    [Fact]
    public async Task Partition_leaders_and_the_group_coordinator_moving_mid_stream_and_one_broker_down_lose_nothing_and_keep_card_order()
    {
        using var broker = EmbeddedBroker.Start(brokers: 3, partitions: 6);
        var settings = TestServeSettings.OnBroker(broker);
        await using var service = await RunningService.StartAsync(settings);
        const int n = 3000;
        using var publisher = new TransactionPublisher(broker.BootstrapServers, ratePerSecond: 1000);
        var publishing = Task.Run(() =>
        {
            for (var i = 0; i < n; i++)
            {
                publisher.Publish(TestTransactions.Make(i));
            }
        });

        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() >= 300, TimeSpan.FromSeconds(30), "decisions before the moves");
        for (var p = 0; p < 6; p++)
        {
            broker.SetPartitionLeader(Topics.Transactions, p, 1 + ((p + 1) % 3));
            broker.SetPartitionLeader(Topics.Decisions, p, 1 + ((p + 2) % 3));
        }

        broker.SetGroupCoordinator(settings.GroupId!, 3);
        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() >= 1200, TimeSpan.FromSeconds(60), "decisions after the moves");
        broker.BrokerDown(2); // the leader of a third of the partitions, on both topics
        await Task.Delay(TimeSpan.FromSeconds(3));
        broker.BrokerUp(2);
        broker.SetGroupCoordinator(settings.GroupId!, 1);
        await publishing;
        Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));

        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == n, TimeSpan.FromSeconds(90), $"{n} decisions after the moves");
        var records = RunningService.ReadTopic(broker.BootstrapServers, Topics.Decisions, n, TimeSpan.FromSeconds(60));
        AssertExactlyOnceInCardOrder(records.Select(r => (Encoding.UTF8.GetString(r.Message.Key), DecisionMessage.Parse(r.Message.Value).Id)).ToList(), n);
    }

    [Fact]
    public async Task Fetch_commit_and_produce_requests_failing_with_broker_errors_stop_neither_labels_nor_decisions()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 3);
        await using var service = await RunningService.StartAsync(TestServeSettings.OnBroker(broker));
        using var publisher = new TransactionPublisher(broker.BootstrapServers);
        for (var i = 0; i < 300; i++)
        {
            publisher.Publish(TestTransactions.Make(i));
        }

        Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == 300, TimeSpan.FromSeconds(60), "300 decisions before the faults");

        // Every consumer's fetches (the labels consumer's among them), the group's commits and the producer's writes fail for a while.
        broker.PushRequestErrors(EmbeddedBroker.ApiKeys.Fetch, TopicAuthorizationFailed, TopicAuthorizationFailed, EmbeddedBroker.Errors.NotLeaderForPartition,
            EmbeddedBroker.Errors.RequestTimedOut, TopicAuthorizationFailed, UnknownServerError, UnknownServerError, EmbeddedBroker.Errors.RequestTimedOut);
        broker.PushRequestErrors(EmbeddedBroker.ApiKeys.OffsetCommit, EmbeddedBroker.Errors.NotCoordinator, EmbeddedBroker.Errors.CoordinatorNotAvailable,
            EmbeddedBroker.Errors.RequestTimedOut, UnknownServerError);
        broker.PushRequestErrors(EmbeddedBroker.ApiKeys.Produce, EmbeddedBroker.Errors.NotEnoughReplicas, EmbeddedBroker.Errors.NotEnoughReplicas,
            EmbeddedBroker.Errors.RequestTimedOut, EmbeddedBroker.Errors.NotLeaderForPartition);
        for (var i = 0; i < 100; i++)
        {
            publisher.Publish(new Label(TestTransactions.Make(i).Id, i % 10 == 0, TestTransactions.Make(299).Timestamp.AddMinutes(1)));
        }

        for (var i = 300; i < 600; i++)
        {
            publisher.Publish(TestTransactions.Make(i));
        }

        Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == 600, TimeSpan.FromSeconds(90), "600 decisions after the faults");
        await RunningService.WaitForAsync(async () => (await service.Store.GetLabeledDecisionsAsync()).Count(l => l.Fraud is not null) == 100, TimeSpan.FromSeconds(90), "the 100 labels stored");
        var labeled = await service.Store.GetLabeledDecisionsAsync();
        Assert.Equal(10, labeled.Count(l => l.Fraud == true));
        Assert.Equal(0, await service.Store.CountDeadLettersAsync());
        var ids = RunningService.Decisions(RunningService.ReadTopic(broker.BootstrapServers, Topics.Decisions, 600, TimeSpan.FromSeconds(60))).Select(d => d.Id).ToList();
        Assert.Equal(600, ids.Distinct().Count());

        // Still deciding, so both consumers lived through it.
        publisher.Publish(TestTransactions.Make(600));
        Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == 601, TimeSpan.FromSeconds(30), "a decision after the faults");
    }

    private const int TopicAuthorizationFailed = 29;
    private const int UnknownServerError = -1;

    private static void AssertExactlyOnceInCardOrder(List<(string Card, string Id)> decisions, int n)
    {
        Assert.Equal(n, decisions.Select(d => d.Id).Distinct().Count());
        Assert.Equal(n, decisions.Count);
        foreach (var card in decisions.GroupBy(d => d.Card))
        {
            var ids = card.Select(d => d.Id).ToList();
            Assert.Equal(ids.OrderBy(id => id, StringComparer.Ordinal).ToList(), ids);
        }
    }
}
