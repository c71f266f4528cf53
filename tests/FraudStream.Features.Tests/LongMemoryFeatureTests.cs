using FraudStream.Core.Contracts;
using FraudStream.Features.Replay;
using FraudStream.Features.Schema;
using static FraudStream.Features.Tests.Scripted;

namespace FraudStream.Features.Tests;

/// <summary>The v2 day-bucket features: what they count, when they forget, and that labels reach them only once reported.</summary>
public sealed class LongMemoryFeatureTests
{
    private const double Prior = 20 * 0.01; // prior weight x prior rate of the default options

    private static TimeSpan Day(double days) => TimeSpan.FromDays(days);

    [Fact]
    public void A_card_counts_its_last_7_and_30_days_before_this_transaction_and_forgets_after_them()
    {
        var s = new Scripted();
        s.Run(Day(0), amount: 10m, merchant: "a");
        s.Run(Day(0.1), amount: 30m, merchant: "b");

        var sameDay = s.Run(Day(0.2), amount: 40m, merchant: "c");
        Assert.Equal(2, F(sameDay, "card.count_7d"));
        Assert.Equal(2, F(sameDay, "card.count_30d"));
        Assert.Equal(40 / 20.0, F(sameDay, "card.amount_vs_mean_7d"), 5); // mean of 10 and 30, not of itself

        // Day 8: the 7-day window (days 2 … 8) holds none of day 0, the 30-day one all three.
        var later = s.Run(Day(8), amount: 80m, merchant: "d");
        Assert.Equal(0, F(later, "card.count_7d"));
        Assert.True(float.IsNaN(F(later, "card.amount_vs_mean_7d")));
        Assert.Equal(3, F(later, "card.count_30d"));
        Assert.Equal(80 / (80 / 3.0), F(later, "card.amount_vs_mean_30d"), 5);

        // Day 31: day 0 has left the 30-day window too; day 8 is still in it.
        var month = s.Run(Day(31), amount: 10m, merchant: "e");
        Assert.Equal(1, F(month, "card.count_30d"));
    }

    [Fact]
    public void The_weekday_share_is_the_share_of_the_last_four_weeks_on_this_weekday()
    {
        var s = new Scripted();
        var first = s.Run(Day(0), merchant: "a");
        Assert.True(float.IsNaN(F(first, "card.weekday_share")));
        s.Run(Day(1), merchant: "a");
        s.Run(Day(7), merchant: "a");
        s.Run(Day(8), merchant: "a");

        // Day 14: of the four earlier transactions, days 0 and 7 fall on its weekday.
        var f = s.Run(Day(14), merchant: "a");
        Assert.Equal(0.5f, F(f, "card.weekday_share"), 6);
    }

    [Fact]
    public void A_merchant_counts_its_days_and_its_amount_level()
    {
        var s = new Scripted();
        s.Run(Day(0), card: "a", amount: 100m, merchant: "m");
        s.Run(Day(3), card: "b", amount: 300m, merchant: "m");

        var f = s.Run(Day(3.5), card: "c", amount: 400m, merchant: "m");
        Assert.Equal(1, F(f, "merchant.count_1d"));
        Assert.Equal(2, F(f, "merchant.count_7d"));
        Assert.Equal(2, F(f, "merchant.count_30d"));
        Assert.Equal(400 / 200.0, F(f, "merchant.amount_vs_mean_30d"), 5);

        var fresh = s.Run(Day(4), card: "d", merchant: "new");
        Assert.Equal(0, F(fresh, "merchant.count_30d"));
        Assert.True(float.IsNaN(F(fresh, "merchant.amount_vs_mean_30d")));
        Assert.Equal(Prior / 20, F(fresh, "merchant.fraud_rate_30d"), 6); // the prior, not 0/0
    }

    [Fact]
    public void A_fraud_counts_on_the_day_of_its_transaction_once_reported_and_moves_through_the_windows()
    {
        var s = new Scripted();
        for (var i = 0; i < 4; i++)
        {
            s.Run(Day(i * 0.1), card: $"c{i}", merchant: "m", id: $"t{i}");
        }

        var beforeReport = s.Run(Day(1), card: "x", merchant: "m");
        Assert.Equal(Prior / (4 + 20), F(beforeReport, "merchant.fraud_rate_7d"), 6);

        Assert.True(s.Graph.ApplyLabel(new Label("t1", true, T0 + Day(2))));

        // Day 2: the fraud of day 0 is in the 7- and 30-day windows (5 transactions before this one), not in today's.
        var reported = s.Run(Day(2), card: "y", merchant: "m");
        Assert.Equal((1 + Prior) / (5 + 20), F(reported, "merchant.fraud_rate_7d"), 6);
        Assert.Equal((1 + Prior) / (5 + 20), F(reported, "merchant.fraud_rate_30d"), 6);
        Assert.Equal(Prior / 20, F(reported, "merchant.fraud_rate_1d"), 6);
        Assert.Equal(Prior / 20, F(reported, "merchant.fraud_rate_7d_lag7"), 6);

        // Day 9: days 0 … 2 (day 0's four transactions with the fraud, x and y) are the week before the last 7 days.
        var lagged = s.Run(Day(9), card: "z", merchant: "m");
        Assert.Equal((1 + Prior) / (6 + 20), F(lagged, "merchant.fraud_rate_7d_lag7"), 6);
        Assert.Equal(Prior / (20 + 0), F(lagged, "merchant.fraud_rate_7d"), 6);
    }

    [Fact]
    public void A_label_reported_later_never_moves_the_day_features_before_it_is_reported()
    {
        // Twenty days at five merchants; t7 (day 1) is fraud, reported on day 12.
        static List<float[]> Replay(IEnumerable<Label> labels)
        {
            var replay = new FeatureReplay();
            foreach (var label in labels)
            {
                replay.Enqueue(label);
            }

            var rows = new List<float[]>();
            for (var i = 0; i < 100; i++)
            {
                var features = new float[FeatureSchema.Count];
                replay.Process(Tx(TimeSpan.FromHours(i * 4.8), card: $"c{i % 7}", merchant: $"m{i % 5}", amount: 10 + i, id: $"t{i}"), features);
                rows.Add(features);
            }

            return rows;
        }

        var reportedAt = T0 + Day(12);
        var without = Replay([]);
        var with = Replay([new Label("t7", true, reportedAt)]);
        for (var i = 0; i < 100; i++)
        {
            if (T0 + TimeSpan.FromHours(i * 4.8) < reportedAt)
            {
                Assert.Equal(without[i], with[i]);
            }
        }

        // After the report, m2 (7 % 5) carries it in its 30-day rate.
        var rate30d = FeatureSchema.IndexOf("merchant.fraud_rate_30d");
        Assert.True(with[62][rate30d] > without[62][rate30d]); // t62: day 12.4, at m2
    }
    [Fact]
    public void A_card_knows_how_long_ago_its_latest_reported_fraud_was_once_the_report_has_come()
    {
        var s = new Scripted();
        s.Run(Day(0), card: "c", merchant: "a", id: "early");
        s.Run(Day(1), card: "c", merchant: "b", id: "fraud");
        var beforeReport = s.Run(Day(2), card: "c", merchant: "a");
        Assert.True(float.IsNaN(F(beforeReport, "card.days_since_reported_fraud")));

        Assert.True(s.Graph.ApplyLabel(new Label("fraud", true, T0 + Day(2.5))));
        Assert.True(s.Graph.ApplyLabel(new Label("early", true, T0 + Day(2.6)))); // an older fraud does not move it back
        var afterReport = s.Run(Day(3), card: "c", merchant: "a");
        Assert.Equal(2f, F(afterReport, "card.days_since_reported_fraud"), 5);

        var otherCard = s.Run(Day(3), card: "d", merchant: "a");
        Assert.True(float.IsNaN(F(otherCard, "card.days_since_reported_fraud")));
    }
}
