using FraudStream.Core.Contracts;
using FraudStream.Features.Replay;
using FraudStream.Features.Schema;
using static FraudStream.Features.Tests.Scripted;

namespace FraudStream.Features.Tests;

/// <summary>The v3 features (what the hard world's imitating fraud still shows) against hand-computed values.</summary>
public class StealthFeatureTests
{
    private const double DegreeKm = 2 * Math.PI * 6371.0088 / 360; // one degree along the equator

    [Fact]
    public void Device_uses_and_age_count_the_card_own_history_on_the_device()
    {
        var s = new Scripted();
        var first = s.Run(S(0), card: "a", device: "d1");
        s.Run(TimeSpan.FromHours(1), card: "b", device: "d1"); // another card on the same device counts for b only
        var second = s.Run(TimeSpan.FromHours(2), card: "a", device: "d1");
        var other = s.Run(TimeSpan.FromHours(3), card: "a", device: "d2");
        var third = s.Run(TimeSpan.FromHours(5), card: "a", device: "d1");
        var none = s.Run(TimeSpan.FromHours(6), card: "a");

        Assert.Equal(0f, F(first, "card.device_uses"));
        Assert.Equal(0f, F(first, "card.device_age_hours"));
        Assert.Equal(1f, F(second, "card.device_uses"));
        Assert.Equal(2f, F(second, "card.device_age_hours"), 5);
        Assert.Equal(0f, F(other, "card.device_uses"));
        Assert.Equal(1f, F(other, "card.first_time_device"));
        Assert.Equal(2f, F(third, "card.device_uses"));
        Assert.Equal(5f, F(third, "card.device_age_hours"), 5);
        Assert.True(float.IsNaN(F(none, "card.device_uses")));
        Assert.True(float.IsNaN(F(none, "card.device_age_hours")));
        Assert.True(float.IsNaN(F(none, "card.online_distance_km")));
    }

    [Fact]
    public void A_device_pushed_out_of_the_card_eight_slots_starts_again_from_nothing()
    {
        var s = new Scripted();
        s.Run(S(0), device: "d0");
        s.Run(S(1), device: "d0");
        for (var d = 1; d <= 8; d++)
        {
            s.Run(S(10 * d), device: $"d{d}"); // d8 takes d0's slot
        }

        var back = s.Run(S(100), device: "d0");
        var kept = s.Run(S(110), device: "d2");

        Assert.Equal(1f, F(back, "card.first_time_device"));
        Assert.Equal(0f, F(back, "card.device_uses"));
        Assert.Equal(0f, F(back, "card.device_age_hours"));
        // d0 came back in the next slot of the cursor (d1's); d2 kept its history.
        Assert.Equal(1f, F(kept, "card.device_uses"));
        Assert.Equal((110 - 20) / 3600f, F(kept, "card.device_age_hours"), 5);
    }

    [Fact]
    public void Online_distance_is_from_the_nearest_place_a_device_of_the_card_was_last_used()
    {
        var s = new Scripted();
        var first = s.Run(S(0), device: "home", lat: 0, lon: 0);
        var near = s.Run(S(10), device: "home", lat: 0, lon: 0.01);
        var away = s.Run(S(20), device: "new", lat: 0, lon: 1);
        var back = s.Run(S(30), device: "home", lat: 0, lon: 1); // "new" was last here
        var unlocated = s.Run(S(40), device: "new");
        var afterUnlocated = s.Run(S(50), device: "other", lat: 0, lon: 0.5);
        var inStore = s.Run(S(60), lat: 0, lon: 0.5);

        Assert.True(float.IsNaN(F(first, "card.online_distance_km")));
        Assert.Equal(0.01 * DegreeKm, F(near, "card.online_distance_km"), 2);
        Assert.Equal(0.99 * DegreeKm, F(away, "card.online_distance_km"), 1);
        Assert.Equal(0f, F(back, "card.online_distance_km"), 3);
        Assert.True(float.IsNaN(F(unlocated, "card.online_distance_km")));
        // "new" forgot its place (its last use had none); "home" was last at (0, 1).
        Assert.Equal(0.5 * DegreeKm, F(afterUnlocated, "card.online_distance_km"), 1);
        Assert.True(float.IsNaN(F(inStore, "card.online_distance_km")));
    }

    [Fact]
    public void Amount_against_own_scale_removes_the_card_usual_ratio_to_the_category()
    {
        var s = new Scripted();
        s.Run(S(0), card: "x", amount: 10m, category: "travel"); // the category's first amount: no ratio yet
        var first = s.Run(S(1), card: "a", amount: 20m, category: "travel"); // 20 / 10 = 2
        var second = s.Run(S(2), card: "a", amount: 40m, category: "travel"); // 40 / mean(10, 20)
        var third = s.Run(S(3), card: "a", amount: 35m, category: "travel"); // 35 / mean(10, 20, 40)
        var uncategorised = s.Run(S(4), card: "a", amount: 35m, category: "");

        Assert.True(float.IsNaN(F(first, "card.amount_vs_own_scale")));
        Assert.Equal(Math.Log(40.0 / 15) - Math.Log(2), F(second, "card.amount_vs_own_scale"), 5);
        var mean = (Math.Log(2) + Math.Log(40.0 / 15)) / 2;
        Assert.Equal(Math.Log(35.0 / (70.0 / 3)) - mean, F(third, "card.amount_vs_own_scale"), 5);
        Assert.True(float.IsNaN(F(uncategorised, "card.amount_vs_own_scale")));
    }

    [Fact]
    public void New_merchants_count_those_first_visited_in_the_last_day()
    {
        var s = new Scripted();
        var first = s.Run(S(0), merchant: "m1");
        s.Run(TimeSpan.FromHours(1), merchant: "m2");
        var third = s.Run(TimeSpan.FromHours(2), merchant: "m1");
        var nextDay = s.Run(TimeSpan.FromHours(24.5), merchant: "m1"); // m1 first seen 24.5 h ago, m2 23.5 h ago
        var later = s.Run(TimeSpan.FromHours(25), merchant: "m3"); // m2 first seen exactly 24 h ago: out

        Assert.Equal(0f, F(first, "card.new_merchants_24h"));
        Assert.Equal(2f, F(third, "card.new_merchants_24h"));
        Assert.Equal(1f, F(nextDay, "card.new_merchants_24h"));
        Assert.Equal(0f, F(later, "card.new_merchants_24h"));
    }

    [Fact]
    public void Count_24h_against_usual_divides_by_the_card_transactions_per_day_since_it_appeared()
    {
        var s = new Scripted();
        var first = s.Run(S(0));
        var sameDay = s.Run(TimeSpan.FromHours(1)); // 1 in 24 h, 1 in 1 day
        var dayThree = s.Run(TimeSpan.FromDays(3)); // 0 in 24 h
        var dayThreeAgain = s.Run(TimeSpan.FromDays(3) + TimeSpan.FromHours(1)); // 1 in 24 h, 3 over 4 days

        Assert.True(float.IsNaN(F(first, "card.count_24h_vs_usual")));
        Assert.Equal(1f, F(sameDay, "card.count_24h_vs_usual"), 5);
        Assert.Equal(0f, F(dayThree, "card.count_24h_vs_usual"));
        Assert.Equal(4f / 3, F(dayThreeAgain, "card.count_24h_vs_usual"), 5);
    }

    [Fact]
    public void No_label_ever_reaches_the_v3_features()
    {
        // Every transaction reported as fraud at once against none reported: the v3 columns must not move at all.
        var stream = new List<Transaction>();
        for (var i = 0; i < 60; i++)
        {
            var tx = Tx(TimeSpan.FromMinutes(37 * i), card: $"c{i % 4}", merchant: $"m{i % 5}", amount: 5 + (i * 3 % 40),
                category: i % 3 == 0 ? "travel" : "grocery", device: i % 4 == 3 ? null : $"d{i % 6}",
                lat: 48 + (i % 7 * 0.01), lon: 11 + (i % 5 * 0.02), id: $"t{i}");
            stream.Add(tx);
        }

        List<float[]> Replay(bool labelled)
        {
            var replay = new FeatureReplay();
            var rows = new List<float[]>();
            foreach (var tx in stream)
            {
                var features = new float[FeatureSchema.Count];
                replay.Process(tx, features);
                if (labelled)
                {
                    replay.Enqueue(new Label(tx.Id, true, tx.Timestamp));
                }

                rows.Add(features);
            }

            return rows;
        }

        var without = Replay(labelled: false);
        var with = Replay(labelled: true);
        var v3 = new[] { FeatureSchema.CardDeviceUses, FeatureSchema.CardDeviceAgeHours, FeatureSchema.CardOnlineDistanceKm,
            FeatureSchema.CardAmountVsOwnScale, FeatureSchema.CardNewMerchants24h, FeatureSchema.CardCount24hVsUsual };
        for (var i = 0; i < stream.Count; i++)
        {
            foreach (var f in v3)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(without[i][f]), BitConverter.SingleToInt32Bits(with[i][f]));
            }
        }

        // The labels did reach the graph (so the comparison could have failed), and every v3 column took a value.
        Assert.True(with[^1][FeatureSchema.MerchantFraudRate] > without[^1][FeatureSchema.MerchantFraudRate]);
        foreach (var f in v3)
        {
            Assert.Contains(without, row => !float.IsNaN(row[f]) && row[f] != 0);
        }
    }
}
