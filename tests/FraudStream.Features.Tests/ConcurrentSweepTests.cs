using FraudStream.Core.Contracts;
using FraudStream.Features.Engine;
using FraudStream.Features.Graph;
using FraudStream.Features.Schema;

namespace FraudStream.Features.Tests;

public sealed class ConcurrentSweepTests
{
    [Fact]
    public void A_sweep_never_removes_a_merchant_that_is_active_now()
    {
        // TTL 1 day, every event within ~20 s: a correct sweep removes nothing.
        var graph = new MerchantGraph(new FeatureOptions { GraphIdleTtl = TimeSpan.FromDays(1), GraphSweepInterval = 1 });
        const int Workers = 4, PerWorker = 4_000;
        var threads = Enumerable.Range(0, Workers).Select(w => new Thread(() =>
        {
            var engine = new FeatureEngine(graph);
            var f = new float[FeatureSchema.Count];
            for (var i = 0; i < PerWorker; i++)
            {
                engine.Process(Scripted.Tx(TimeSpan.FromMilliseconds(i), card: $"c{w}-{i % 500}", merchant: $"m{w}-{i}", id: $"w{w}-{i}"), f);
            }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();

        var missing = 0;
        for (var w = 0; w < Workers; w++)
            for (var i = 0; i < PerWorker; i++)
                if (double.IsNaN(graph.MerchantFraudRate($"m{w}-{i}"))) missing++;
        Assert.Equal(0, missing);
    }
}
