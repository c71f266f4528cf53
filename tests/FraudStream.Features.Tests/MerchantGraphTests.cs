using FraudStream.Core.Contracts;
using FraudStream.Features.Engine;
using FraudStream.Features.Graph;
using FraudStream.Features.Schema;
using static FraudStream.Features.Tests.Scripted;

namespace FraudStream.Features.Tests;

public class MerchantGraphTests
{
    private const double Prior = 20 * 0.01; // prior weight x prior rate of the default options

    [Fact]
    public void Merchant_fraud_rate_is_smoothed_and_changes_only_when_the_label_is_applied()
    {
        var s = new Scripted();
        for (var i = 0; i < 4; i++)
        {
            s.Run(S(i), card: $"c{i}", merchant: "m", id: $"t{i}");
        }

        var before = s.Run(S(10), card: "x", merchant: "m");
        Assert.Equal(Prior / (4 + 20), F(before, "merchant.fraud_rate"), 6);

        Assert.True(s.Graph.ApplyLabel(new Label("t2", true, T0 + S(20))));
        var after = s.Run(S(30), card: "y", merchant: "m");

        Assert.Equal((1 + Prior) / (5 + 20), F(after, "merchant.fraud_rate"), 6);
    }

    [Fact]
    public void Legitimate_and_unknown_labels_change_nothing()
    {
        var s = new Scripted();
        s.Run(S(0), merchant: "m", id: "t0");
        Assert.True(s.Graph.ApplyLabel(new Label("t0", false, T0 + S(1))));
        Assert.False(s.Graph.ApplyLabel(new Label("nope", true, T0 + S(1))));
        var f = s.Run(S(2), card: "z", merchant: "m");

        Assert.Equal(Prior / (1 + 20), F(f, "merchant.fraud_rate"), 6);
        Assert.Equal(1, s.Graph.LabelsUnmatched);
    }

    [Fact]
    public void Fraud_on_a_card_raises_the_compromise_share_of_merchants_it_used_before()
    {
        var s = new Scripted();
        // Three customers at the compromised merchant m1; card a is later defrauded at m2.
        s.Run(S(0), card: "a", merchant: "m1");
        s.Run(S(1), card: "b", merchant: "m1");
        s.Run(S(2), card: "c", merchant: "m1");
        s.Run(S(3), card: "b", merchant: "m3");
        s.Run(TimeSpan.FromHours(5), card: "a", merchant: "m2", id: "fraud");
        s.Graph.ApplyLabel(new Label("fraud", true, T0 + TimeSpan.FromDays(2)));

        var expectedShare = (1 + Prior) / (3 + 20);
        Assert.Equal(expectedShare, s.Graph.MerchantCompromiseShare("m1"), 6);
        // m2 is where the fraud happened, not where the card was compromised.
        Assert.Equal(Prior / (1 + 20), s.Graph.MerchantCompromiseShare("m2"), 6);

        // Card b has used m1: its exposure is m1's share, whatever merchant it shops at next.
        var f = s.Run(TimeSpan.FromDays(2) + S(1), card: "b", merchant: "m4");
        Assert.Equal(expectedShare, F(f, "card.exposure"), 6);
        var g = s.Run(TimeSpan.FromDays(2) + S(2), card: "d", merchant: "m1");
        Assert.Equal(expectedShare, F(g, "merchant.compromise_share"), 6);
    }

    [Fact]
    public void A_card_is_blamed_on_its_merchants_once_per_lookback()
    {
        var s = new Scripted();
        s.Run(S(0), card: "a", merchant: "m1");
        s.Run(S(10), card: "a", merchant: "m2", id: "f1");
        s.Run(S(20), card: "a", merchant: "m3", id: "f2");
        s.Graph.ApplyLabel(new Label("f1", true, T0 + S(100)));
        s.Graph.ApplyLabel(new Label("f2", true, T0 + S(200)));

        Assert.Equal((1 + Prior) / (1 + 20), s.Graph.MerchantCompromiseShare("m1"), 6);
    }

    [Fact]
    public void Merchant_degree_counts_distinct_cards_over_the_last_day()
    {
        var s = new Scripted();
        s.Run(S(0), card: "a", merchant: "m");
        s.Run(S(1), card: "b", merchant: "m");
        s.Run(S(2), card: "a", merchant: "m");
        s.Run(S(3), card: "c", merchant: "m");
        var f = s.Run(S(4), card: "d", merchant: "m");
        var nextDay = s.Run(TimeSpan.FromHours(25), card: "e", merchant: "m");

        Assert.Equal(3, F(f, "merchant.degree_24h"), 0); // a, b, c (approximate: within rounding)
        Assert.Equal(0f, F(nextDay, "merchant.degree_24h"));
    }

    [Fact]
    public void Merchant_degree_stays_close_for_hundreds_of_cards()
    {
        var s = new Scripted();
        for (var i = 0; i < 500; i++)
        {
            s.Run(S(i), card: $"card{i}", merchant: "big");
        }

        var f = s.Run(S(600), card: "last", merchant: "big");
        Assert.InRange(F(f, "merchant.degree_24h"), 500 * 0.6, 500 * 1.4);
    }

    [Fact]
    public void Engines_sharing_a_graph_on_many_threads_lose_no_merchant_updates()
    {
        var graph = new MerchantGraph(new FeatureOptions
        {
            FraudRateDecay = TimeSpan.FromDays(1_000_000),
            CompromiseDecay = TimeSpan.FromDays(1_000_000),
        });
        const int Threads = 4;
        const int PerThread = 5000;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, worker =>
        {
            var engine = new FeatureEngine(graph);
            var features = new float[FeatureSchema.Count];
            for (var i = 0; i < PerThread; i++)
            {
                engine.Process(Tx(S(i), card: $"w{worker}-{i % 50}", merchant: "shared", device: "dev", id: $"w{worker}-{i}"), features);
            }
        });

        Assert.True(graph.ApplyLabel(new Label("w1-7", true, T0 + TimeSpan.FromHours(3))));
        Assert.Equal((1 + Prior) / ((Threads * PerThread) + 20), graph.MerchantFraudRate("shared"), 9);
    }

    [Fact]
    public void The_label_index_forgets_the_oldest_transactions_first()
    {
        // 64 stripes x 16 entries: 1,024 recent transactions are remembered.
        var s = new Scripted(new FeatureOptions { LabelIndexCapacity = 1024 });
        for (var i = 0; i < 5000; i++)
        {
            s.Run(S(i), card: $"c{i % 7}", merchant: $"m{i % 5}", id: $"id{i}");
        }

        Assert.False(s.Graph.ApplyLabel(new Label("id0", true, T0 + S(6000))));
        Assert.False(s.Graph.ApplyLabel(new Label("id2000", true, T0 + S(6000))));
        Assert.True(s.Graph.ApplyLabel(new Label("id4999", true, T0 + S(6000))));
        Assert.True(s.Graph.ApplyLabel(new Label("id4990", true, T0 + S(6000))));
    }
}
