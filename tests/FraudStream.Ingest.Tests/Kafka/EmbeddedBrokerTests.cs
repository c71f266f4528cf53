using System.Text;
using Confluent.Kafka;
using FraudStream.Ingest.Kafka;

namespace FraudStream.Ingest.Tests.Kafka;

public sealed class EmbeddedBrokerTests
{
    [Fact]
    public void Messages_produced_to_the_embedded_broker_are_consumed_in_order_per_key()
    {
        using var broker = EmbeddedBroker.Start(brokers: 3, partitions: 4, topics: ["t-order"]);
        Assert.Contains("librdkafka", EmbeddedBroker.LibraryPath, StringComparison.Ordinal);
        using (var producer = new ProducerBuilder<string, string>(KafkaClients.ProducerConfig(broker.BootstrapServers, "p")).Build())
        {
            for (var i = 0; i < 1000; i++)
            {
                producer.Produce("t-order", new Message<string, string> { Key = "k" + (i % 7), Value = i.ToString() });
            }

            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        var config = KafkaClients.ConsumerConfig(broker.BootstrapServers, "g-order", "c");
        using var consumer = new ConsumerBuilder<string, string>(config).Build();
        consumer.Subscribe("t-order");
        var lastPerKey = new Dictionary<string, int>();
        var seen = 0;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (seen < 1000 && DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is null)
            {
                continue;
            }

            var v = int.Parse(r.Message.Value);
            if (lastPerKey.TryGetValue(r.Message.Key, out var prev))
            {
                Assert.True(v > prev, $"key {r.Message.Key}: {v} after {prev}");
            }

            lastPerKey[r.Message.Key] = v;
            seen++;
        }

        consumer.Close();
        Assert.Equal(1000, seen);
    }
}
