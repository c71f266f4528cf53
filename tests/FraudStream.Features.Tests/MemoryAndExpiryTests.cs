using FraudStream.Features.Graph;
using FraudStream.Features.Schema;
using static FraudStream.Features.Tests.Scripted;

namespace FraudStream.Features.Tests;

public class MemoryAndExpiryTests
{
    [Fact]
    public void Idle_cards_are_forgotten_and_come_back_as_first_sightings()
    {
        var s = new Scripted(new FeatureOptions { CardIdleTtl = TimeSpan.FromHours(1), ExpiryChecksPerTransaction = 2 });
        s.Run(S(0), card: "sleepy");
        s.Run(S(1), card: "busy");
        s.Run(TimeSpan.FromHours(2), card: "busy");
        s.Run(TimeSpan.FromHours(2) + S(1), card: "busy");
        Assert.Equal(1, s.Engine.CardCount);

        var back = s.Run(TimeSpan.FromHours(3), card: "sleepy");
        Assert.True(float.IsNaN(F(back, "card.seconds_since_prev")));
        Assert.Equal(0f, F(back, "card.history_count"));
    }

    [Fact]
    public void A_full_engine_evicts_the_least_recently_seen_cards_and_counts_them()
    {
        var s = new Scripted(new FeatureOptions { MaxCardsPerPartition = 100 });
        for (var i = 0; i < 1000; i++)
        {
            s.Run(S(i * 2), card: "card-" + i);
            s.Run(S((i * 2) + 1), card: "regular"); // seen every other transaction: never the least recent
        }

        Assert.Equal(100, s.Engine.CardCount);
        Assert.Equal(901, s.Engine.CardsEvicted); // 1,001 distinct cards, 100 kept
        var regular = s.Run(S(2000), card: "regular");
        Assert.Equal(1000f, F(regular, "card.history_count")); // its history was kept
        var evicted = s.Run(S(2001), card: "card-0");
        Assert.Equal(0f, F(evicted, "card.history_count")); // the oldest came back as a first sighting
    }

    [Fact]
    public void Idle_merchants_and_devices_are_swept_from_the_graph()
    {
        var s = new Scripted(new FeatureOptions { GraphIdleTtl = TimeSpan.FromDays(1), GraphSweepInterval = 4 });
        s.Run(S(0), merchant: "old", device: "d-old");
        for (var i = 0; i < 8; i++)
        {
            s.Run(TimeSpan.FromDays(3) + S(i), merchant: "new", device: "d-new");
        }

        Assert.Equal(1, s.Graph.MerchantCount);
        Assert.Equal(1, s.Graph.DeviceCount);
        Assert.True(double.IsNaN(s.Graph.MerchantFraudRate("old")));
    }

    [Fact]
    public void A_full_graph_drops_the_least_recently_active_merchants_and_devices_and_counts_them()
    {
        // A producer inventing a merchant and a device per transaction, well within the idle TTL.
        var s = new Scripted(new FeatureOptions { MaxGraphNodes = 100, GraphSweepInterval = 64 });
        for (var i = 0; i < 1000; i++)
        {
            s.Run(S(i * 2), merchant: "m-" + i, device: "d-" + i);
            s.Run(S((i * 2) + 1), merchant: "steady", device: "d-steady");
        }

        Assert.InRange(s.Graph.MerchantCount, 2, 100 + 64);
        Assert.InRange(s.Graph.DeviceCount, 2, 100 + 64);
        Assert.True(s.Graph.NodesEvicted >= 2 * (1001 - 164), $"evicted {s.Graph.NodesEvicted}");
        Assert.False(double.IsNaN(s.Graph.MerchantFraudRate("steady"))); // the active one is kept
        Assert.True(double.IsNaN(s.Graph.MerchantFraudRate("m-0"))); // the oldest is gone
    }

    [Fact]
    public void A_very_busy_card_stays_within_its_event_cap()
    {
        var s = new Scripted(new FeatureOptions { MaxWindowEvents = 64 });
        float[] last = [];
        for (var i = 0; i < 1000; i++)
        {
            last = s.Run(S(i), amount: 1m);
        }

        Assert.Equal(64f, F(last, "card.count_24h"));
        Assert.Equal(64f, F(last, "card.amount_sum_24h"));
        Assert.Equal(59f, F(last, "card.count_1m")); // 940..998 s: the minute is unaffected by the cap
        var report = s.Engine.GetMemoryReport();
        Assert.Equal(1, report.Cards);
        Assert.InRange(report.BytesPerCard, 500, 4096);
    }

    [Fact]
    public void Bytes_per_card_are_reported_for_a_typical_card()
    {
        var s = new Scripted();
        for (var i = 0; i < 100; i++)
        {
            s.Run(TimeSpan.FromMinutes(i * 37), card: $"c{i % 10}", merchant: $"m{i % 7}");
        }

        Assert.InRange(s.Engine.ApproximateBytesPerCard, 500, 4096);
        Assert.True(s.Graph.ApproximateBytes > 0);
    }

    [Fact]
    public void Processing_a_known_card_at_a_known_merchant_allocates_nothing()
    {
        var s = new Scripted();
        var txs = new List<FraudStream.Core.Contracts.Transaction>();
        for (var i = 0; i < 200; i++)
        {
            txs.Add(Tx(S(i * 7), card: $"c{i % 20}", merchant: $"m{i % 9}", device: $"d{i % 20}", lat: 48, lon: 11, id: $"t{i}"));
        }

        var features = new float[FeatureSchema.Count];
        foreach (var tx in txs)
        {
            s.Engine.Process(tx, features); // warm: first sightings and window growth may allocate
        }

        foreach (var tx in txs)
        {
            tx.Timestamp += TimeSpan.FromDays(2); // windows have room again: no growth
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var tx in txs)
        {
            s.Engine.Process(tx, features);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
