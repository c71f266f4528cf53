using Confluent.Kafka;
using FraudStream.Ingest.Kafka;

namespace FraudStream.Ingest.Tests.Kafka;

/// <summary>The embedded broker drops what every committing group has consumed, and nothing any of them still needs.</summary>
public sealed class EmbeddedBrokerRetentionTests
{
    private const string Topic = "t-retention";
    private const int Produced = 2000;

    [Fact]
    public async Task Batches_every_committing_group_has_consumed_are_dropped()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1, topics: [Topic]);
        Assert.True(broker.TrimsConsumed);
        await ProduceOneBatchEachAsync(broker, 0, Produced);
        Assert.Equal(Produced, broker.Retention(Topic)[0].Batches);

        Assert.Equal(Produced, ConsumeAndCommit(broker, "g-all", Produced));
        await AppendAfterTrimAsync(broker);

        var partition = broker.Retention(Topic)[0];
        Assert.InRange(partition.Batches, EmbeddedBroker.MinBatchesKept, Produced - 1);
        Assert.InRange(partition.StartOffset, 1, Produced);
    }

    [Fact]
    public async Task What_a_slower_group_has_not_committed_is_kept()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1, topics: [Topic]);
        await ProduceOneBatchEachAsync(broker, 0, Produced);
        ConsumeAndCommit(broker, "g-fast", Produced);
        ConsumeAndCommit(broker, "g-slow", 100);
        await AppendAfterTrimAsync(broker);

        Assert.InRange(broker.Retention(Topic)[0].StartOffset, 0, 100);
        // The slow group goes on from its committed offset and finds every message after it.
        Assert.Equal(Produced + 1 - 100, ConsumeAndCommit(broker, "g-slow", Produced + 1 - 100));
    }

    [Fact]
    public async Task A_group_far_behind_loses_nothing_past_the_mocks_own_byte_cap()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1, topics: [Topic]);
        await ProduceOneBatchEachAsync(broker, 0, 10);
        ConsumeAndCommit(broker, "g-behind", 10); // a committing group, from now on behind
        await Task.Delay(EmbeddedBroker.TrimInterval * 5); // the trim has seen the partition

        // 8 MiB in 1 KiB messages: more than the mock's own 5 MiB a partition, none of it committed by g-behind.
        var config = KafkaClients.ProducerConfig(broker.BootstrapServers, "retention-bulk");
        var count = 8 * 1024;
        using (var producer = new ProducerBuilder<Null, string>(config).Build())
        {
            var value = new string('x', 1024);
            for (var i = 0; i < count; i++)
            {
                producer.Produce(Topic, new Message<Null, string> { Value = value });
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(0, broker.Retention(Topic)[0].StartOffset); // nothing was dropped from the front
        Assert.Equal(count, ConsumeAndCommit(broker, "g-behind", count));
    }

    [Fact]
    public async Task A_partition_no_group_has_committed_on_keeps_everything()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1, topics: [Topic]);
        await ProduceOneBatchEachAsync(broker, 0, Produced);
        await AppendAfterTrimAsync(broker);

        Assert.Equal(Produced + 1, broker.Retention(Topic)[0].Batches);
    }

    [Fact]
    public async Task Without_trimming_consumed_batches_stay()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 1, topics: [Topic], trimConsumed: false);
        Assert.False(broker.TrimsConsumed);
        await ProduceOneBatchEachAsync(broker, 0, Produced);
        ConsumeAndCommit(broker, "g-all", Produced);
        await AppendAfterTrimAsync(broker);

        Assert.Equal(Produced + 1, broker.Retention(Topic)[0].Batches);
    }

    /// <summary>One awaited produce per message: each is its own batch in the mock's log.</summary>
    private static async Task ProduceOneBatchEachAsync(EmbeddedBroker broker, int from, int count)
    {
        var config = KafkaClients.ProducerConfig(broker.BootstrapServers, "retention-producer", lingerMs: 0);
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        for (var i = from; i < from + count; i++)
        {
            await producer.ProduceAsync(Topic, new Message<Null, string> { Value = "m" + i });
        }
    }

    /// <summary>
    /// The headroom is what was appended over the last <see cref="EmbeddedBroker.HeadroomSeconds"/>, and the mock applies a
    /// new cap on its next append: wait past both, then append one more batch.
    /// </summary>
    private static async Task AppendAfterTrimAsync(EmbeddedBroker broker)
    {
        await Task.Delay(TimeSpan.FromSeconds(EmbeddedBroker.HeadroomSeconds) + (EmbeddedBroker.TrimInterval * 5));
        await ProduceOneBatchEachAsync(broker, Produced, 1);
    }

    /// <summary>Reads up to <paramref name="count"/> messages as <paramref name="group"/>, commits them, returns how many were read.</summary>
    private static int ConsumeAndCommit(EmbeddedBroker broker, string group, int count)
    {
        var config = KafkaClients.ConsumerConfig(broker.BootstrapServers, group, group);
        config.EnableAutoCommit = false;
        using var consumer = new ConsumerBuilder<Ignore, string>(config).Build();
        consumer.Subscribe(Topic);
        var read = 0;
        ConsumeResult<Ignore, string>? last = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (read < count && DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r?.Message is not null)
            {
                last = r;
                read++;
            }
        }

        if (last is not null)
        {
            consumer.Commit([new TopicPartitionOffset(last.TopicPartition, last.Offset + 1)]);
        }

        consumer.Close();
        return read;
    }
}
