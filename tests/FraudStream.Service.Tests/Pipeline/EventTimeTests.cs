using System.Text;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Service.Tests.Infrastructure;

namespace FraudStream.Service.Tests.Pipeline;

/// <summary>
/// One transaction dated 9999-12-31 used to move its worker's event clock so that the expiry sweep evicted every card;
/// one label reported in 9999 beat every later verdict on its transaction. Both are now refused against the service
/// clock, while history (BankSim is from 2014) is still decided.
/// </summary>
public sealed class EventTimeTests
{
    private static readonly DateTime EndOfTime = new(9999, 12, 31, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Future_transactions_and_labels_are_dead_lettered_and_history_is_decided()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 3);
        await using var service = await RunningService.StartAsync(TestServeSettings.OnBroker(broker));
        const int good = 60;
        using (var publisher = new TransactionPublisher(broker.BootstrapServers))
        {
            for (var i = 0; i < good; i++)
            {
                publisher.Publish(TestTransactions.Make(i));
            }

            publisher.Publish(With(TestTransactions.Make(1000), EndOfTime));
            publisher.Publish(With(TestTransactions.Make(1001), DateTime.UtcNow.AddHours(1)));
            publisher.Publish(With(TestTransactions.Make(1002), new DateTime(2014, 3, 1, 0, 0, 0, DateTimeKind.Utc)));
            publisher.Publish(With(TestTransactions.Make(1003), DateTime.UtcNow));
            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        }

        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == good + 2, TimeSpan.FromSeconds(60), "the good, historical and current transactions decided");
        using (var publisher = new TransactionPublisher(broker.BootstrapServers))
        {
            // A far-future report first, then the real, later verdict: the later verdict must count.
            publisher.Publish(new Label("tx-000001", Fraud: true, ReportedAt: EndOfTime));
            publisher.Publish(new Label("tx-000001", Fraud: false, ReportedAt: DateTime.UtcNow.AddMinutes(-1)));
            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        }

        await RunningService.WaitForAsync(async () => await service.Store.CountDeadLettersAsync() == 3, TimeSpan.FromSeconds(30), "two transactions and a label dead-lettered");
        await RunningService.WaitForAsync(() => Task.FromResult(service.Service.LabelsReceived == 1), TimeSpan.FromSeconds(30), "the real verdict stored");

        var stored = await service.Store.GetDeadLettersAsync(10);
        Assert.All(stored, d => Assert.Equal("timestamp_out_of_range", d.Reason));
        Assert.Equal([Topics.Labels, Topics.Transactions, Topics.Transactions], stored.Select(d => d.SourceTopic).Order(StringComparer.Ordinal));
        Assert.Contains(stored, d => d.Detail.StartsWith("reported_at 9999-12-31", StringComparison.Ordinal));
        Assert.Contains(stored, d => d.Detail.StartsWith("ts 9999-12-31", StringComparison.Ordinal));
        var label = (await service.Store.GetLabeledDecisionsAsync()).Single(d => d.Id == "tx-000001");
        Assert.False(label.Fraud);

        var dlq = RunningService.ReadTopic(broker.BootstrapServers, Topics.DeadLetters, 2, TimeSpan.FromSeconds(30));
        Assert.Equal(2, dlq.Count);
        Assert.All(dlq, r => Assert.Equal("timestamp_out_of_range", Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("dlq.reason"))));
    }

    [Fact]
    public async Task A_maximum_age_when_configured_refuses_older_transactions()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1);
        var settings = TestServeSettings.OnBroker(broker, configuration: new() { ["Decisions:MaxAgeDays"] = "365" });
        await using var service = await RunningService.StartAsync(settings);
        using (var publisher = new TransactionPublisher(broker.BootstrapServers))
        {
            publisher.Publish(With(TestTransactions.Make(1), new DateTime(2014, 3, 1, 0, 0, 0, DateTimeKind.Utc)));
            publisher.Publish(With(TestTransactions.Make(2), DateTime.UtcNow.AddDays(-364)));
            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        }

        await RunningService.WaitForAsync(async () => await service.Store.CountDeadLettersAsync() == 1, TimeSpan.FromSeconds(30), "the 2014 transaction dead-lettered");
        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == 1, TimeSpan.FromSeconds(30), "the recent one decided");
        Assert.Contains("365 days before", Assert.Single(await service.Store.GetDeadLettersAsync(10)).Detail, StringComparison.Ordinal);
        Assert.NotNull(await service.Store.GetDecisionAsync("tx-000002"));
    }

    private static Transaction With(Transaction tx, DateTime ts)
    {
        tx.Timestamp = ts;
        return tx;
    }
}
