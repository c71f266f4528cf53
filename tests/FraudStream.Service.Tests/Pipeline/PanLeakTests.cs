using System.Data.Common;
using System.Text;
using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Service.Tests.Infrastructure;
using FraudStream.Storage;

namespace FraudStream.Service.Tests.Pipeline;

/// <summary>
/// Card numbers sent in every field, in the Kafka key, written plain, with spaces, dashes or dots, inside other text and
/// as JSON escapes, in transactions that are decided and in ones that are dead-lettered, and in labels: none of their
/// digits may be anywhere the service writes — any table of the store, the decisions topic, the dead-letter topic.
/// Before the fix a PAN in a dead-lettered message was in clear in its payload and key (topic and store), a dotted
/// one was the decisions key and the stored card, and one inside the merchant was stored as sent.
/// </summary>
public sealed class PanLeakTests
{
    private const string Visa = "4111111111111111";
    private const string Mastercard = "5500000000000004";
    private const string VisaDotted = "4012.8888.8888.1881";
    private const string Amex = "378282246310005";
    private const string Discover = "6011 1111 1111 1117";
    private const string Visa13 = "4222222222222";
    private const string Mastercard2 = "5105105105105100";
    private const string Visa2 = "4000-0566-5566-5556";
    private const string EscapedVisa = "\\u0034\\u0031\\u0031\\u0031111111111111";

    [Theory]
    [MemberData(nameof(DecisionServiceTests.Stores), MemberType = typeof(DecisionServiceTests))]
    public async Task No_card_number_reaches_a_table_or_a_topic(string store)
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 3);
        var settings = TestServeSettings.OnBroker(broker) with
        {
            Database = store == "sqlite" ? "sqlite:" + TestServeSettings.NewSqliteFile() : "postgres:" + Testing.PostgresServer.Instance.CreateDatabase(),
        };
        await using var service = await RunningService.StartAsync(settings);

        const int good = 40;
        var decided = new (string Key, string Json)[]
        {
            (Visa, Tx("tx-a", card: Visa)),
            (VisaDotted, Tx("tx-b", card: VisaDotted)),
            (Discover, Tx($"tx-{Mastercard2}", card: $"PAN {Discover}", merchant: $"Shop {Mastercard}", device: $"dev {Amex}", category: $"cat {Visa2}")),
            ("card-e", Tx("tx-e", card: EscapedVisa, merchant: $"m\\u0020{EscapedVisa}")),
        };
        var deadLettered = new (string Key, string Json, string Reason)[]
        {
            (Visa, Tx("tx-f", card: Visa, amount: "0"), "non_positive_amount"),
            (Mastercard, $"{{\"id\":\"x\",\"card\":\"{Mastercard}\",oops}}", "invalid_json"),
            (EscapedVisa, Tx("tx-g", card: EscapedVisa, currency: "XYZ"), "unknown_currency"),
            ("card-h", Tx("tx-h", card: "card-h", currency: Visa13), "unknown_currency"),
            (Amex, Tx("tx-i", card: Amex, amount: "5000").Replace("\"amount\":5000", $"\"amount\":5000,\"card\":\"{VisaDotted}\"", StringComparison.Ordinal), "duplicate_field"),
        };
        using (var publisher = new TransactionPublisher(broker.BootstrapServers))
        {
            for (var i = 0; i < good; i++)
            {
                publisher.Publish(TestTransactions.Make(i));
            }

            foreach (var (key, json) in decided)
            {
                publisher.PublishRaw(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(json));
            }

            foreach (var (key, json, _) in deadLettered)
            {
                publisher.PublishRaw(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(json));
            }

            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        }

        var total = good + decided.Length;
        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == total, TimeSpan.FromSeconds(60), $"{total} decisions");
        using (var publisher = new TransactionPublisher(broker.BootstrapServers))
        {
            publisher.Publish(new Label($"tx-{Mastercard2}", Fraud: true, ReportedAt: DateTime.UtcNow.AddMinutes(-1)));
            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        }

        await PublishBadLabelAsync(broker, $"{{\"id\":\"{Visa}\",\"fraud\":\"yes\",\"reported_at\":\"2026-11-02T00:00:00Z\"}}");
        await RunningService.WaitForAsync(() => Task.FromResult(service.Service.LabelsReceived == 1), TimeSpan.FromSeconds(30), "the label stored");
        await RunningService.WaitForAsync(async () => await service.Store.CountDeadLettersAsync() == deadLettered.Length + 1, TimeSpan.FromSeconds(30), "the dead letters (and the bad label) stored");

        var dlq = RunningService.ReadTopic(broker.BootstrapServers, Topics.DeadLetters, deadLettered.Length, TimeSpan.FromSeconds(30));
        var reasons = dlq.Select(r => Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("dlq.reason"))).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(deadLettered.Select(d => d.Reason).Order(StringComparer.Ordinal), reasons);
        var decisions = RunningService.ReadTopic(broker.BootstrapServers, Topics.Decisions, total, TimeSpan.FromSeconds(30));
        Assert.Equal(total, decisions.Count);

        // The label found its transaction: both ids became the same token.
        var labeled = Assert.Single(await service.Store.GetLabeledDecisionsAsync(), d => d.Fraud is not null);
        Assert.StartsWith("tx-pan_", labeled.Id, StringComparison.Ordinal);

        var written = new StringBuilder();
        foreach (var message in dlq.Concat(decisions))
        {
            written.AppendLine(Text(message.Message.Key)).AppendLine(Text(message.Message.Value));
            foreach (var header in message.Message.Headers)
            {
                written.AppendLine(Text(header.GetValueBytes()));
            }
        }

        written.Append(await DumpStoreAsync(service.Store));
        var everything = written.ToString();
        Assert.Contains("tx-000001", everything, StringComparison.Ordinal); // the dump holds the data
        foreach (var needle in Needles())
        {
            Assert.False(everything.Contains(needle, StringComparison.Ordinal), $"'{needle}' was written in clear");
        }
    }

    /// <summary>Every card number plain, and each as sent without its last four digits (what masking must remove).</summary>
    private static IEnumerable<string> Needles()
    {
        foreach (var pan in new[] { Visa, Mastercard, VisaDotted, Amex, Discover, Visa13, Mastercard2, Visa2 })
        {
            var digits = new string(pan.Where(char.IsAsciiDigit).ToArray());
            yield return digits;
            yield return digits[..^4];
            yield return pan[..^4];
        }

        yield return "\\u0034\\u0031\\u0031\\u0031";
    }

    private static string Tx(string id, string card, string merchant = "m-1", string? device = "d-1", string category = "grocery",
        string amount = "12.5", string currency = "EUR") =>
        $"{{\"id\":\"{id}\",\"ts\":\"2026-11-01T10:00:00Z\",\"card\":\"{card}\",\"merchant\":\"{merchant}\",\"category\":\"{category}\"," +
        $"\"amount\":{amount},\"currency\":\"{currency}\",\"country\":\"DE\",\"device\":\"{device}\",\"channel\":\"ecom\"}}";

    private static async Task PublishBadLabelAsync(EmbeddedBroker broker, string json)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaClients.ProducerConfig(broker.BootstrapServers, "it-labels")).Build();
        await producer.ProduceAsync(Topics.Labels, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(Visa), Value = Encoding.UTF8.GetBytes(json) });
    }

    private static string Text(byte[]? bytes) => bytes is null ? "" : Encoding.UTF8.GetString(bytes);

    /// <summary>Every row of every table, every column as text (bytes decoded as UTF-8).</summary>
    internal static async Task<string> DumpStoreAsync(FraudStore store)
    {
        await using var connection = await store.OpenConnectionAsync();
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = store.Provider == StoreProvider.Sqlite
                ? "SELECT name FROM sqlite_master WHERE type = 'table'"
                : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("dead_letters", tables);
        var dump = new StringBuilder();
        foreach (var table in tables)
        {
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM {table}";
            await using DbDataReader rows = await select.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                for (var c = 0; c < rows.FieldCount; c++)
                {
                    var value = rows.GetValue(c);
                    dump.Append(value is byte[] bytes ? Text(bytes) : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)).Append('\t');
                }

                dump.AppendLine();
            }
        }

        return dump.ToString();
    }
}
