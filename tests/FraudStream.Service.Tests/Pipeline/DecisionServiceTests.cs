using System.Text;
using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Service.Hosting;
using FraudStream.Service.Tests.Infrastructure;
using FraudStream.Testing;

namespace FraudStream.Service.Tests.Pipeline;

public sealed class DecisionServiceTests
{
    /// <summary>Without a model or rules (both explicit): the pipeline's own guarantees, not the model's decisions.</summary>
    private static ServeSettings Settings(EmbeddedBroker broker, string db) => new()
    {
        Bootstrap = broker.BootstrapServers,
        Database = db,
        DashboardPort = 0,
        GroupId = "it-" + Guid.NewGuid().ToString("N")[..8],
        ModelDirectory = "none",
        RulesFile = "none",
        TokenKey = TestServeSettings.TokenKey,
    };

    private static string SqliteDb() => "sqlite:" + Path.Combine(Path.GetTempPath(), "fs-it-" + Guid.NewGuid().ToString("N")[..10], "store.db");

    /// <summary>SQLite always; PostgreSQL when it can be started (always under CI).</summary>
    public static TheoryData<string> Stores()
    {
        var data = new TheoryData<string> { "sqlite" };
        if (PostgresServer.MissingReason is null || Prerequisites.InCi)
        {
            data.Add("postgres");
        }

        return data;
    }

    private static string Db(string kind) => kind == "sqlite" ? SqliteDb() : "postgres:" + PostgresServer.Instance.CreateDatabase();

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Every_transaction_gets_exactly_one_decision_produced_and_stored(string store)
    {
        using var broker = EmbeddedBroker.Start(brokers: 3, partitions: 6);
        const int n = 3000;
        await using var service = await RunningService.StartAsync(Settings(broker, Db(store)));
        using (var publisher = new TransactionPublisher(broker.BootstrapServers))
        {
            for (var i = 0; i < n; i++)
            {
                publisher.Publish(TestTransactions.Make(i));
            }

            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        }

        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == n, TimeSpan.FromSeconds(60), $"{n} stored decisions");
        var decisions = RunningService.Decisions(RunningService.ReadTopic(broker.BootstrapServers, Topics.Decisions, n, TimeSpan.FromSeconds(60)));
        Assert.Equal(n, decisions.Count);
        Assert.Equal(n, decisions.Select(d => d.Id).Distinct().Count());
        Assert.All(decisions, d => Assert.Contains("model_unavailable", d.Reasons));
        var stored = await service.Store.GetDecisionAsync("tx-000042");
        Assert.NotNull(stored);
        Assert.Equal("card-0042", stored.Card);
        Assert.True(stored.LatencyUs > 0);
    }

    [Fact]
    public async Task A_reused_id_with_other_content_is_dead_lettered_and_an_identical_re_send_is_a_duplicate()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 3);
        await using var service = await RunningService.StartAsync(Settings(broker, SqliteDb()));
        var reused = TestTransactions.Make(6);
        using (var publisher = new TransactionPublisher(broker.BootstrapServers))
        {
            for (var i = 0; i < 50; i++)
            {
                publisher.Publish(TestTransactions.Make(i));
            }

            publisher.Publish(TestTransactions.Make(5)); // the same transaction again
            var conflicting = TestTransactions.Make(6);
            conflicting.Amount = reused.Amount + 900; // same id and card, other content
            publisher.Publish(conflicting);
            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        }

        await RunningService.WaitForAsync(async () => await service.Store.CountDeadLettersAsync() == 1, TimeSpan.FromSeconds(60), "the conflicting one dead-lettered");
        await RunningService.WaitForAsync(() => Task.FromResult(service.Service.Telemetry.Latest?.Totals.Duplicates >= 1), TimeSpan.FromSeconds(30), "the re-send counted");
        Assert.Equal(50, await service.Store.CountDecisionsAsync());
        var dead = Assert.Single(await service.Store.GetDeadLettersAsync(10));
        Assert.Equal("conflicting_duplicate", dead.Reason);
        var stored = await service.Store.GetDecisionAsync(reused.Id);
        Assert.Equal(reused.Amount, stored!.Amount); // the first content was decided
    }

    [Fact]
    public async Task An_id_reused_on_another_card_in_a_partition_of_another_worker_is_dead_lettered_not_decided_twice()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 4);
        await using var service = await RunningService.StartAsync(Settings(broker, SqliteDb())); // 2 workers: p0, p2 on one, p1, p3 on the other
        var first = TestTransactions.Make(7);
        var reused = TestTransactions.Make(8);
        reused.Id = first.Id; // another card, the same id
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            for (var i = 0; i < 20; i++)
            {
                var tx = TestTransactions.Make(100 + i);
                Produce(producer, i % 4, tx);
            }

            Produce(producer, 0, first);
            producer.Flush(TimeSpan.FromSeconds(30));
            await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == 21, TimeSpan.FromSeconds(60), "the first use decided");
            Produce(producer, 1, reused);
            Produce(producer, 3, TestTransactions.Make(200));
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        await RunningService.WaitForAsync(async () => await service.Store.CountDeadLettersAsync() == 1, TimeSpan.FromSeconds(60), "the reused id dead-lettered");
        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == 22, TimeSpan.FromSeconds(60), "the one after it decided");
        var dead = Assert.Single(await service.Store.GetDeadLettersAsync(10));
        Assert.Equal("conflicting_duplicate", dead.Reason);
        Assert.Equal(1, dead.SourcePartition);
        var decisions = RunningService.Decisions(RunningService.ReadTopic(broker.BootstrapServers, Topics.Decisions, 22, TimeSpan.FromSeconds(60)));
        Assert.Single(decisions, d => d.Id == first.Id);
        Assert.Equal(first.Amount, (await service.Store.GetDecisionAsync(first.Id))!.Amount); // the first use stays decided

        static void Produce(IProducer<byte[], byte[]> producer, int partition, Transaction tx) =>
            producer.Produce(new TopicPartition(Topics.Transactions, new Partition(partition)),
                new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(tx.Card), Value = TransactionJson.Serialize(tx) });
    }

    [Fact]
    public async Task Malformed_messages_are_dead_lettered_with_their_reason_while_good_traffic_flows()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 3);
        var good = TransactionJson.Serialize(TestTransactions.Make(1));
        var cases = new (string Reason, byte[] Payload)[]
        {
            ("invalid_json", good[..(good.Length / 2)]),
            ("invalid_json", "{\"id\": \"x\", oops}"u8.ToArray()),
            ("wrong_type", Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(good).Replace("\"amount\":11", "\"amount\":\"11\"", StringComparison.Ordinal))),
            ("missing_field", "{\"ts\":\"2026-11-01T00:00:00Z\",\"card\":\"c\",\"merchant\":\"m\",\"category\":\"x\",\"amount\":1,\"currency\":\"EUR\",\"country\":\"DE\"}"u8.ToArray()),
            ("non_positive_amount", Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(good).Replace("\"amount\":11", "\"amount\":0", StringComparison.Ordinal))),
            ("non_positive_amount", Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(good).Replace("\"amount\":11", "\"amount\":-5", StringComparison.Ordinal))),
            ("unknown_currency", Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(good).Replace("\"EUR\"", "\"EUX\"", StringComparison.Ordinal))),
            ("payload_too_large", Encoding.UTF8.GetBytes("{\"id\":\"big\",\"pad\":\"" + new string('a', 70_000) + "\"}")),
            ("duplicate_field", Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(good).Replace("\"amount\":11", "\"amount\":5000,\"amount\":1", StringComparison.Ordinal))),
            ("invalid_utf8", [(byte)'{', (byte)'"', 0xff, 0xfe, (byte)'"', (byte)':', (byte)'1', (byte)'}']),
        };
        await using var service = await RunningService.StartAsync(Settings(broker, SqliteDb()));
        using (var publisher = new TransactionPublisher(broker.BootstrapServers))
        {
            for (var i = 0; i < 200; i++)
            {
                publisher.Publish(TestTransactions.Make(i));
                if (i % 20 == 0 && i / 20 < cases.Length)
                {
                    publisher.PublishRaw("card-bad"u8.ToArray(), cases[i / 20].Payload);
                }
            }

            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        }

        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == 200, TimeSpan.FromSeconds(60), "200 good decisions");
        await RunningService.WaitForAsync(async () => await service.Store.CountDeadLettersAsync() == cases.Length, TimeSpan.FromSeconds(30), "dead letters stored");
        var dlq = RunningService.ReadTopic(broker.BootstrapServers, Topics.DeadLetters, cases.Length, TimeSpan.FromSeconds(30));
        Assert.Equal(cases.Length, dlq.Count);
        var reasons = dlq.Select(r => Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("dlq.reason"))).OrderBy(s => s, StringComparer.Ordinal).ToList();
        Assert.Equal(cases.Select(c => c.Reason).OrderBy(s => s, StringComparer.Ordinal).ToList(), reasons);
        // The original bytes travel unchanged, with the source position.
        var utf8 = dlq.Single(r => Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("dlq.reason")) == "invalid_utf8");
        Assert.Equal(cases[^1].Payload, utf8.Message.Value);
        Assert.NotNull(utf8.Message.Headers.GetLastBytes("dlq.source.offset"));
        var stored = await service.Store.GetDeadLettersAsync(100);
        Assert.Contains(stored, d => d.Reason == "payload_too_large" && d.Detail.Contains("65536", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_restart_mid_stream_loses_nothing_and_decides_nothing_twice(string store)
    {
        using var broker = EmbeddedBroker.Start(brokers: 3, partitions: 6);
        const int n = 4000;
        var settings = Settings(broker, Db(store));
        using var publisher = new TransactionPublisher(broker.BootstrapServers);
        var first = await RunningService.StartAsync(settings);
        for (var i = 0; i < n / 2; i++)
        {
            publisher.Publish(TestTransactions.Make(i));
        }

        publisher.Flush(TimeSpan.FromSeconds(30));
        await RunningService.WaitForAsync(async () => await first.Store.CountDecisionsAsync() >= n / 4, TimeSpan.FromSeconds(60), "a quarter decided");
        // Keep publishing while the service stops: these wait in Kafka for the next instance.
        for (var i = n / 2; i < n; i++)
        {
            publisher.Publish(TestTransactions.Make(i));
        }

        await first.DisposeAsync();
        // A producer retry or replay sends some transactions again: they must not be decided again.
        for (var i = 0; i < 300; i++)
        {
            publisher.Publish(TestTransactions.Make(i * 7 % n));
        }

        publisher.Flush(TimeSpan.FromSeconds(30));
        await using var second = await RunningService.StartAsync(settings);
        await RunningService.WaitForAsync(async () => await second.Store.CountDecisionsAsync() == n, TimeSpan.FromSeconds(90), $"{n} stored decisions");
        await RunningService.WaitForAsync(
            () => Task.FromResult(second.Service.Telemetry.Latest?.Totals.Duplicates >= 300), TimeSpan.FromSeconds(30), "300 duplicates counted");
        var decisions = RunningService.Decisions(RunningService.ReadTopic(broker.BootstrapServers, Topics.Decisions, n, TimeSpan.FromSeconds(60)));
        Assert.Equal(n, decisions.Select(d => d.Id).Distinct().Count());
        Assert.Equal(n, decisions.Count);
    }
}
