using FraudStream.Ingest.Kafka;
using FraudStream.Service.Tests.Infrastructure;
using FraudStream.Service.Hosting;

namespace FraudStream.Service.Tests.Pipeline;

/// <summary>
/// The way from the producer's creation stamp to the consume loop (linger, broker, fetch) was recorded by no stage, so
/// the stage table missed the largest part of end to end. Transit records it for every consumed transaction.
/// </summary>
public sealed class TransitStageTests
{
    [Fact]
    public async Task Every_consumed_transaction_records_its_transit_and_it_is_within_end_to_end()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 2);
        var settings = TestServeSettings.OnBroker(broker);
        await using var service = await RunningService.StartAsync(settings);
        const int n = 500;
        using (var publisher = new TransactionPublisher(broker.BootstrapServers))
        {
            for (var i = 0; i < n; i++)
            {
                publisher.Publish(TestTransactions.Make(i));
            }

            Assert.True(publisher.Flush(TimeSpan.FromSeconds(30)));
        }

        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == n, TimeSpan.FromSeconds(60), $"{n} decisions");
        await RunningService.WaitForAsync(
            () => Task.FromResult(service.Service.Telemetry.CumulativeStats().TryGetValue("transit", out var t) && t.Count == n),
            TimeSpan.FromSeconds(10), "transit recorded for every transaction");
        var stats = service.Service.Telemetry.CumulativeStats();
        Assert.True(stats["transit"].P50 > 0);
        Assert.True(stats["transit"].Max <= stats["end_to_end"].Max, "transit is part of end to end");
    }
}
