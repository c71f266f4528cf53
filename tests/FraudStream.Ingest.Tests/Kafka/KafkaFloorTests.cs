using FraudStream.Ingest.Kafka;

namespace FraudStream.Ingest.Tests.Kafka;

public sealed class KafkaFloorTests
{
    [Fact]
    public void The_floor_relays_every_message_with_the_client_settings_asked_for_and_records_each_one_after_the_warm_up()
    {
        var result = KafkaFloor.Run(new KafkaFloorOptions
        {
            Brokers = 1, Partitions = 2, Rate = 2000, Transactions = 3000, WarmupSeconds = 0.5,
            SourceLingerMs = 1, ProducerLingerMs = 0.5, FetchWaitMaxMs = 2,
        }, TextWriter.Null);
        Assert.Equal(3000, result.Sent);
        Assert.Equal(3000 - 1000, result.Recorded);
        Assert.InRange(result.P50Ms, 0.001, result.P99Ms);
        Assert.InRange(result.P99Ms, result.P50Ms, result.P999Ms);
        Assert.True(result.MaxMs >= result.P999Ms);
        Assert.Equal((1, 0.5, 2), (result.SourceLingerMs, result.ProducerLingerMs, result.FetchWaitMaxMs));
        Assert.True(result.CpuMsPerThousand > 0, "the run's CPU is reported");
    }
}
