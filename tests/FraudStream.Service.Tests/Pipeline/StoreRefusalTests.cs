using System.Text;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Service.Hosting;
using FraudStream.Service.Tests.Infrastructure;
using FraudStream.Storage;

namespace FraudStream.Service.Tests.Pipeline;

/// <summary>
/// A decision the store refuses (past the contract's checks: a constraint the test adds) used to fail its batch, and
/// the store writer retried that batch for ever: nothing after it was stored or committed. Now the refused row is
/// dead-lettered <c>store_refused</c> and everything around it is stored.
/// </summary>
public sealed class StoreRefusalTests
{
    [Theory]
    [MemberData(nameof(DecisionServiceTests.Stores), MemberType = typeof(DecisionServiceTests))]
    public async Task A_decision_the_store_refuses_is_dead_lettered_and_the_stream_goes_on(string store)
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 3);
        await using var service = await RunningService.StartAsync(SettingsFor(broker, store));
        await RefuseAsync(service.Store, "decisions", "merchant", "m-refused", "merchant refused");

        const int n = 120;
        using (var publisher = new TransactionPublisher(broker.BootstrapServers))
        {
            for (var i = 0; i < n; i++)
            {
                var tx = TestTransactions.Make(i);
                if (i == 60)
                {
                    tx.Merchant = "m-refused";
                }

                publisher.Publish(tx);
            }

            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        }

        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == n - 1, TimeSpan.FromSeconds(60), $"{n - 1} stored decisions");
        await RunningService.WaitForAsync(async () => await service.Store.CountDeadLettersAsync() == 1, TimeSpan.FromSeconds(30), "the refused one dead-lettered");
        var letter = Assert.Single(await service.Store.GetDeadLettersAsync(10));
        Assert.Equal("store_refused", letter.Reason);
        Assert.Contains(store == "sqlite" ? "merchant refused" : "23514", letter.Detail, StringComparison.Ordinal);
        Assert.Contains("\"id\":\"tx-000060\"", Encoding.UTF8.GetString(letter.Payload), StringComparison.Ordinal);
        Assert.Null(await service.Store.GetDecisionAsync("tx-000060"));
        await RunningService.WaitForAsync(() => Task.FromResult(service.Service.InFlight == 0), TimeSpan.FromSeconds(30), "nothing left in flight");
    }

    [Theory]
    [MemberData(nameof(DecisionServiceTests.Stores), MemberType = typeof(DecisionServiceTests))]
    public async Task A_label_the_store_refuses_is_dead_lettered_and_the_other_labels_are_stored(string store)
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 3);
        await using var service = await RunningService.StartAsync(SettingsFor(broker, store));
        await RefuseAsync(service.Store, "labels", "id", "tx-000007", "label refused");
        using (var publisher = new TransactionPublisher(broker.BootstrapServers))
        {
            for (var i = 0; i < 30; i++)
            {
                publisher.Publish(TestTransactions.Make(i));
            }

            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
            await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == 30, TimeSpan.FromSeconds(60), "30 decisions");
            for (var i = 0; i < 20; i++)
            {
                publisher.Publish(new Label(TestTransactions.Make(i).Id, i % 2 == 1, TestTransactions.Make(29).Timestamp.AddMinutes(5)));
            }

            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        }

        await RunningService.WaitForAsync(async () => (await service.Store.GetLabeledDecisionsAsync()).Count(l => l.Fraud is not null) == 19,
            TimeSpan.FromSeconds(60), "the 19 other labels stored");
        await RunningService.WaitForAsync(async () => await service.Store.CountDeadLettersAsync() == 1, TimeSpan.FromSeconds(30), "the refused label dead-lettered");
        var letter = Assert.Single(await service.Store.GetDeadLettersAsync(10));
        Assert.Equal("store_refused", letter.Reason);
        Assert.Equal(Topics.Labels, letter.SourceTopic);
        Assert.Contains(store == "sqlite" ? "label refused" : "23514", letter.Detail, StringComparison.Ordinal);
        Assert.Contains("\"id\":\"tx-000007\"", Encoding.UTF8.GetString(letter.Payload), StringComparison.Ordinal);
        Assert.DoesNotContain(await service.Store.GetLabeledDecisionsAsync(), l => l.Id == "tx-000007" && l.Fraud is not null);
    }

    private static ServeSettings SettingsFor(EmbeddedBroker broker, string store) => TestServeSettings.OnBroker(broker) with
    {
        Database = store == "sqlite" ? "sqlite:" + TestServeSettings.NewSqliteFile() : "postgres:" + Testing.PostgresServer.Instance.CreateDatabase(),
    };

    /// <summary>A rule the contract does not know, as a stricter schema or a data error in the database would be.</summary>
    private static async Task RefuseAsync(FraudStore store, string table, string column, string value, string sqliteMessage)
    {
        await using var connection = await store.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = store.Provider == StoreProvider.Sqlite
            ? $"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} WHEN NEW.{column} = '{value}' BEGIN SELECT RAISE(ABORT, '{sqliteMessage}'); END"
            : $"ALTER TABLE {table} ADD CONSTRAINT refuse_{table} CHECK ({column} <> '{value}')";
        await command.ExecuteNonQueryAsync();
    }
}
