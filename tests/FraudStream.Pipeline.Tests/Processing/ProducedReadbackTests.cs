using Confluent.Kafka;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Hosting;
using FraudStream.Pipeline.Processing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudStream.Pipeline.Tests.Processing;

/// <summary>
/// The takeover's readback on the embedded broker: what lies past a committed offset is found by the binary search on
/// <c>fs.source</c>, on an output partition of its own and on one shared (modulo) with other transactions partitions.
/// </summary>
public sealed class ProducedReadbackTests
{
    private const string Topic = "dlq-readback";

    [Theory]
    [InlineData(4, 4)]
    [InlineData(4, 2)]
    [InlineData(6, 1)]
    public void Dead_letters_past_the_committed_offset_are_read_back_and_none_before_it(int sourcePartitions, int outputPartitions)
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: outputPartitions, topics: [Topic]);
        var output = new OutputPartitions(Topic);
        output.Resize(sourcePartitions, outputPartitions);
        const int perSource = 3_000;
        using (var producer = new ProducerBuilder<byte[], byte[]>(KafkaClients.ProducerConfig(broker.BootstrapServers, "p")).Build())
        {
            // Interleaved as workers produce them: each source partition's records in its read order (every third offset).
            for (var i = 0; i < perSource; i++)
            {
                for (var p = 0; p < sourcePartitions; p++)
                {
                    var source = new byte[SourcePosition.HeaderLength];
                    SourcePosition.Write(source, p, i * 3L);
                    Assert.True(output.TryGet(p, out var tp));
                    producer.Produce(tp, new Message<byte[], byte[]>
                    {
                        Value = [1],
                        Headers = [new Header(SourcePosition.Header, source), new Header(DeadLetterHeaders.Reason, "invalid_json"u8.ToArray())],
                    });
                }
            }

            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        using var readback = new ProducedReadback(new DecisionServiceOptions { Bootstrap = broker.BootstrapServers }, NullLogger.Instance);
        for (var p = 0; p < sourcePartitions; p++)
        {
            var past = 40 + p;
            var from = (3L * (perSource - past)) - 1; // between two of the partition's records: the last `past` lie at or after it
            var found = readback.ReadDeadLetters(output, p, from);
            Assert.Equal(past, found.Count);
            Assert.All(found, d => Assert.True(d.SourcePartition == p && d.SourceOffset >= from && d.Reason == "invalid_json"));
            Assert.Equal(found.Count, found.Select(d => d.SourceOffset).Distinct().Count());
            Assert.Empty(readback.ReadDeadLetters(output, p, 3L * perSource)); // a clean handover: nothing past it
        }
    }
}
