using System.Globalization;
using System.Text;
using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Service.Hosting;
using FraudStream.Service.Tests.Infrastructure;

namespace FraudStream.Service.Tests.Pipeline;

/// <summary>
/// A transaction near Kafka's default 1 MB message limit used to crash-loop the service: its dead letter (the original
/// bytes plus headers) no longer fitted, the synchronous produce threw on the worker thread, and every restart read the
/// same message again.
/// </summary>
public sealed class OversizedMessageTests
{
    [Fact]
    public async Task A_one_megabyte_transaction_is_dead_lettered_truncated_and_the_service_keeps_deciding()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 2);
        var settings = TestServeSettings.OnBroker(broker);
        await using var service = await RunningService.StartAsync(settings);

        var huge = Encoding.UTF8.GetBytes("{\"id\":\"huge\",\"pad\":\"" + new string('a', 1_000_500 - 22) + "\"}");
        var config = KafkaClients.ProducerConfig(broker.BootstrapServers, "it-huge");
        config.MessageMaxBytes = 2_000_000;
        using (var producer = new ProducerBuilder<byte[], byte[]>(config).Build())
        {
            await producer.ProduceAsync(Topics.Transactions, new Message<byte[], byte[]> { Key = "card-huge"u8.ToArray(), Value = huge });
        }

        const int good = 50;
        using (var publisher = new TransactionPublisher(broker.BootstrapServers))
        {
            for (var i = 0; i < good; i++)
            {
                publisher.Publish(TestTransactions.Make(i));
            }

            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        }

        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == good, TimeSpan.FromSeconds(60), $"{good} decisions after the huge message");
        await RunningService.WaitForAsync(async () => await service.Store.CountDeadLettersAsync() == 1, TimeSpan.FromSeconds(30), "the huge message's dead letter stored");
        var dlq = Assert.Single(RunningService.ReadTopic(broker.BootstrapServers, Topics.DeadLetters, 1, TimeSpan.FromSeconds(30)));
        Assert.Equal("payload_too_large", Encoding.UTF8.GetString(dlq.Message.Headers.GetLastBytes("dlq.reason")));
        Assert.Equal(huge.Length.ToString(CultureInfo.InvariantCulture), Encoding.UTF8.GetString(dlq.Message.Headers.GetLastBytes("dlq.payload.truncated")));
        Assert.Equal(huge[..dlq.Message.Value.Length], dlq.Message.Value);
        Assert.True(dlq.Message.Value.Length < huge.Length);
        var stored = Assert.Single(await service.Store.GetDeadLettersAsync(10));
        Assert.Equal("payload_too_large", stored.Reason);
    }
}
