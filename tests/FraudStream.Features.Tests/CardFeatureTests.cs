using FraudStream.Features.Schema;
using static FraudStream.Features.Tests.Scripted;

namespace FraudStream.Features.Tests;

public class CardFeatureTests
{
    [Fact]
    public void First_ever_transaction_has_empty_windows_and_missing_history()
    {
        var f = new Scripted().Run(S(0), amount: 42m, lat: 1, lon: 1);

        Assert.Equal(42f, F(f, "tx.amount"));
        Assert.Equal((float)Math.Log(43), F(f, "tx.log_amount"), 5);
        Assert.Equal(10f, F(f, "tx.hour"));
        Assert.Equal(0f, F(f, "card.count_1m"));
        Assert.Equal(0f, F(f, "card.count_24h"));
        Assert.Equal(0f, F(f, "card.amount_sum_24h"));
        Assert.Equal(0f, F(f, "card.history_count"));
        Assert.Equal(1f, F(f, "card.first_time_merchant"));
        foreach (var missing in new[]
        {
            "card.seconds_since_prev", "card.amount_mean", "card.amount_zscore", "card.amount_vs_category",
            "card.country_change", "card.distance_home_km", "card.speed_kmh", "card.hour_deviation",
            "card.exposure", "card.first_time_device", "device.distinct_cards_24h",
        })
        {
            Assert.True(float.IsNaN(F(f, missing)), missing);
        }
    }

    [Fact]
    public void An_event_leaves_the_one_minute_window_exactly_sixty_seconds_later()
    {
        var s = new Scripted();
        s.Run(S(0), amount: 10m);
        s.Run(S(30), amount: 20m);
        var at59 = s.Run(S(59), amount: 1m);
        var at60 = s.Run(S(60), amount: 40m);

        Assert.Equal(2f, F(at59, "card.count_1m"));
        Assert.Equal(30f, F(at59, "card.amount_sum_1m"));
        // At 60 s the event from 0 s has left: 30 s and 59 s remain.
        Assert.Equal(2f, F(at60, "card.count_1m"));
        Assert.Equal(21f, F(at60, "card.amount_sum_1m"));
        Assert.Equal(3f, F(at60, "card.count_1h"));
        Assert.Equal(31f, F(at60, "card.amount_sum_1h"));
        Assert.Equal(1f, F(at60, "card.seconds_since_prev"));
    }

    [Fact]
    public void Hour_and_day_windows_drop_events_at_their_edges()
    {
        var s = new Scripted();
        s.Run(S(0), amount: 5m);
        var justInside = s.Run(TimeSpan.FromHours(1) - S(1), amount: 7m);
        var onHourEdge = s.Run(TimeSpan.FromHours(1) + S(0), amount: 9m);
        var dayEdge = s.Run(TimeSpan.FromDays(1) + TimeSpan.FromHours(1) - S(1), amount: 1m);

        Assert.Equal(1f, F(justInside, "card.count_1h"));
        Assert.Equal(1f, F(onHourEdge, "card.count_1h")); // the 5 left, the 7 is in
        Assert.Equal(7f, F(onHourEdge, "card.amount_sum_1h"));
        Assert.Equal(2f, F(onHourEdge, "card.count_24h"));
        // The 7 (at 0:59:59) is exactly 24 h old, so out; the 9 (at 1:00:00) is in.
        Assert.Equal(1f, F(dayEdge, "card.count_24h"));
        Assert.Equal(9f, F(dayEdge, "card.amount_sum_24h"));
    }

    [Fact]
    public void Out_of_order_transaction_counts_at_the_card_latest_time_without_corrupting_windows()
    {
        var s = new Scripted();
        s.Run(TimeSpan.FromMinutes(0), amount: 1m);
        s.Run(TimeSpan.FromMinutes(5), amount: 2m);
        var late = s.Run(TimeSpan.FromMinutes(2), amount: 4m);
        var next = s.Run(TimeSpan.FromMinutes(5) + S(50), amount: 8m);
        var after = s.Run(TimeSpan.FromMinutes(6) + S(1), amount: 16m);

        Assert.Equal(0f, F(late, "card.seconds_since_prev"));
        Assert.Equal(1f, F(late, "card.count_1m")); // the 2 at 5:00
        Assert.Equal(2f, F(late, "card.count_1h"));
        // The late one was folded in at 5:00, so at 5:50 the minute holds the 2 and the 4.
        Assert.Equal(2f, F(next, "card.count_1m"));
        Assert.Equal(6f, F(next, "card.amount_sum_1m"));
        Assert.Equal(50f, F(next, "card.seconds_since_prev"));
        // At 6:01 the 2 and the 4 (both at 5:00) have left; the 8 at 5:50 remains.
        Assert.Equal(1f, F(after, "card.count_1m"));
        Assert.Equal(8f, F(after, "card.amount_sum_1m"));
        Assert.Equal(4f, F(after, "card.count_1h"));
        Assert.Equal(15f, F(after, "card.amount_sum_1h"));
    }

    [Fact]
    public void Skewed_terminal_clock_slightly_behind_does_not_lose_or_double_count_events()
    {
        var s = new Scripted();
        s.Run(S(0), amount: 3m);
        s.Run(S(-20), amount: 5m); // terminal 20 s behind
        var f = s.Run(S(70), amount: 1m);

        // Both were folded in at 0 s, so both have left the minute by 70 s and both are in the hour.
        Assert.Equal(0f, F(f, "card.count_1m"));
        Assert.Equal(2f, F(f, "card.count_1h"));
        Assert.Equal(8f, F(f, "card.amount_sum_1h"));
        Assert.Equal(70f, F(f, "card.seconds_since_prev"));
    }

    [Fact]
    public void Amount_z_score_uses_the_mean_and_sample_deviation_before_the_transaction()
    {
        var s = new Scripted();
        s.Run(S(0), amount: 10m);
        var second = s.Run(S(1), amount: 20m);
        s.Run(S(2), amount: 30m);
        var f = s.Run(S(3), amount: 40m);

        Assert.Equal(10f, F(second, "card.amount_mean"));
        Assert.True(float.IsNaN(F(second, "card.amount_zscore")));
        Assert.Equal(20f, F(f, "card.amount_mean"), 4);
        Assert.Equal(2f, F(f, "card.amount_zscore"), 4); // (40-20)/10
    }

    [Fact]
    public void Amount_against_category_norm_uses_every_card_in_the_category()
    {
        var s = new Scripted();
        s.Run(S(0), card: "a", amount: 10m, category: "travel");
        s.Run(S(1), card: "b", amount: 30m, category: "travel");
        s.Run(S(2), card: "c", amount: 1000m, category: "jewelry");
        var f = s.Run(S(3), card: "d", amount: 40m, category: "travel");

        Assert.Equal(2f, F(f, "card.amount_vs_category"), 5); // 40 / mean(10, 30)
    }

    [Fact]
    public void Distinct_merchants_and_first_time_at_merchant_follow_the_card_history()
    {
        var s = new Scripted();
        s.Run(TimeSpan.FromMinutes(0), merchant: "a");
        s.Run(TimeSpan.FromMinutes(1), merchant: "b");
        s.Run(TimeSpan.FromMinutes(12), merchant: "c");
        var f = s.Run(TimeSpan.FromMinutes(13), merchant: "a");
        var later = s.Run(TimeSpan.FromHours(25), merchant: "d");

        Assert.Equal(1f, F(f, "card.distinct_merchants_10m")); // c
        Assert.Equal(3f, F(f, "card.distinct_merchants_24h"));
        Assert.Equal(0f, F(f, "card.first_time_merchant"));
        Assert.Equal(0f, F(later, "card.distinct_merchants_24h"));
        Assert.Equal(1f, F(later, "card.first_time_merchant"));
    }

    [Fact]
    public void Country_change_compares_with_the_previous_transaction()
    {
        var s = new Scripted();
        s.Run(S(0), country: "DE");
        var same = s.Run(S(1), country: "DE");
        var changed = s.Run(S(2), country: "BR");
        var unknown = s.Run(S(3), country: "");

        Assert.Equal(0f, F(same, "card.country_change"));
        Assert.Equal(1f, F(changed, "card.country_change"));
        Assert.True(float.IsNaN(F(unknown, "card.country_change")));
    }

    [Fact]
    public void Distance_from_home_and_implied_speed_are_in_kilometres_and_hours()
    {
        var s = new Scripted();
        s.Run(S(0), lat: 0, lon: 0);
        var f = s.Run(TimeSpan.FromHours(2), lat: 0, lon: 1);
        var g = s.Run(TimeSpan.FromHours(2) + S(10), lat: 0, lon: 2);

        const double degreeKm = 2 * Math.PI * 6371.0088 / 360; // one degree along the equator
        Assert.Equal(degreeKm, F(f, "card.distance_home_km"), 2);
        Assert.Equal(degreeKm / 2, F(f, "card.speed_kmh"), 2);
        // Home is now the mean (0, 0.5); 10 s apart counts as one minute for speed.
        Assert.Equal(1.5 * degreeKm, F(g, "card.distance_home_km"), 1);
        Assert.Equal(degreeKm * 60, F(g, "card.speed_kmh"), 0);
    }

    [Fact]
    public void Hour_deviation_is_the_share_of_history_outside_the_neighbouring_hours()
    {
        var s = new Scripted();
        s.Run(TimeSpan.FromHours(0)); // 10:00
        s.Run(TimeSpan.FromHours(0.5)); // 10:30
        s.Run(TimeSpan.FromHours(2)); // 12:00
        s.Run(TimeSpan.FromHours(12)); // 22:00
        var f = s.Run(TimeSpan.FromHours(1)); // 11:00 (out of order: counted as 22:00 for windows, hour of day stays 11)

        Assert.Equal(11f, F(f, "tx.hour"));
        Assert.Equal(0.25f, F(f, "card.hour_deviation"), 5); // 3 of 4 within 10..12
    }

    [Fact]
    public void First_time_on_device_and_distinct_cards_per_device()
    {
        var s = new Scripted();
        s.Run(S(0), card: "a", device: "d1");
        s.Run(S(1), card: "b", device: "d1");
        var again = s.Run(S(2), card: "a", device: "d1");
        var third = s.Run(S(3), card: "c", device: "d1");
        var dayLater = s.Run(TimeSpan.FromDays(1) + S(2), card: "c", device: "d1");

        Assert.Equal(0f, F(again, "card.first_time_device"));
        Assert.Equal(2f, F(again, "device.distinct_cards_24h"));
        Assert.Equal(1f, F(third, "card.first_time_device"));
        Assert.Equal(2f, F(third, "device.distinct_cards_24h"));
        // a at 2 s left exactly 24 h later; only c (3 s) remains.
        Assert.Equal(1f, F(dayLater, "device.distinct_cards_24h"));
    }

    [Fact]
    public void History_count_counts_prior_transactions_of_the_card_only()
    {
        var s = new Scripted();
        s.Run(S(0), card: "a");
        s.Run(S(1), card: "b");
        s.Run(S(2), card: "a");
        var f = s.Run(S(3), card: "a");

        Assert.Equal(2f, F(f, "card.history_count"));
        Assert.Equal(FeatureSchema.Count, f.Length);
    }
}
