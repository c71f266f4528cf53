using System.Text;
using System.Text.RegularExpressions;

namespace FraudStream.Benchmarks.Rules;

/// <summary>
/// Fifty realistic rules written once in the FraudStream language; the Microsoft RulesEngine form is
/// derived mechanically (names become <c>input1.*</c> properties), with hand-written lambdas where the
/// languages differ (list membership, hour of day).
/// </summary>
internal static partial class FiftyRules
{
    public sealed record Definition(string Name, string Action, bool Shadow, string Condition, string? RulesEngineExpression = null);

    public static readonly Definition[] All =
    [
        new("trusted_card", "approve", false, "card in [\"card-trusted-1\", \"card-trusted-2\", \"card-trusted-3\"] and card.speed_kmh <= 900",
            "(input1.card == \"card-trusted-1\" || input1.card == \"card-trusted-2\" || input1.card == \"card-trusted-3\") && input1.card_speed_kmh <= 900"),
        new("model_decline", "decline", false, "score >= model.decline_threshold"),
        new("model_review", "review", false, "score >= model.review_threshold"),
        new("card_testing", "decline", false, "card.distinct_merchants_10m >= 4 and amount < 5"),
        new("card_testing_medium", "review", false, "card.distinct_merchants_10m >= 3 and amount < 20"),
        new("velocity_1m", "review", false, "card.count_1m >= 5 and amount > 50"),
        new("velocity_1h", "review", false, "card.count_1h >= 20"),
        new("velocity_24h", "review", false, "card.count_24h >= 60"),
        new("spend_1m", "decline", false, "card.amount_sum_1m > 2000"),
        new("spend_1h", "review", false, "card.amount_sum_1h > 5000"),
        new("spend_24h", "review", false, "card.amount_sum_24h > 15000"),
        new("hourly_spike", "review", false, "card.amount_sum_1h > 10 * max(card.amount_mean, 20) and card.count_1h >= 3"),
        new("amount_outlier", "review", false, "card.amount_zscore >= 4 and card.history_count >= 10 and amount > 100"),
        new("extreme_outlier", "decline", false, "card.amount_zscore >= 8 and amount > 1000"),
        new("category_outlier", "review", false, "card.amount_vs_category >= 5 and card.history_count < 5 and amount > 200"),
        new("impossible_travel", "decline", false, "card.speed_kmh > 900 and channel == \"pos\""),
        new("fast_travel_remote", "review", false, "card.speed_kmh > 900 and channel != \"pos\""),
        new("far_from_home", "review", false, "card.distance_home_km > 3000 and amount > 300"),
        new("atm_night", "review", false, "channel == \"atm\" and hour(ts) >= 1 and hour(ts) <= 5 and card.distance_home_km > 500",
            "input1.channel == \"atm\" && input1.hour >= 1 && input1.hour <= 5 && input1.card_distance_home_km > 500"),
        new("blocked_merchant", "decline", false, "merchant in [\"m-666\", \"m-667\", \"m-668\", \"m-669\", \"m-670\"]",
            "input1.merchant == \"m-666\" || input1.merchant == \"m-667\" || input1.merchant == \"m-668\" || input1.merchant == \"m-669\" || input1.merchant == \"m-670\""),
        new("risky_merchant_first", "review", false, "merchant.fraud_rate >= 0.2 and card.first_time_merchant == 1 and amount > 100"),
        new("very_risky_merchant", "decline", false, "merchant.fraud_rate >= 0.5 and amount > 50"),
        new("merchant_burst", "review", false, "merchant.degree_24h > 500 and merchant.fraud_rate > 0.05"),
        new("compromise_share", "review", false, "merchant.compromise_share > 0.3 and card.first_time_merchant == 1"),
        new("exposure_new_device", "review", false, "card.exposure >= 0.5 and card.first_time_device == 1"),
        new("shared_device", "decline", false, "device.distinct_cards_24h >= 5"),
        new("shared_device_mild", "review", false, "device.distinct_cards_24h >= 3"),
        new("new_country_new_device", "review", false, "card.country_change == 1 and card.first_time_device == 1 and amount > 200"),
        new("rapid_repeat", "review", false, "card.seconds_since_prev < 10 and amount > 500"),
        new("rapid_fire", "decline", false, "card.seconds_since_prev < 2 and card.count_1m >= 3"),
        new("odd_hour_large", "review", false, "card.hour_deviation >= 3 and amount > 1000"),
        new("new_card_large", "review", false, "card.history_count < 3 and amount > 1000"),
        new("new_card_ecom", "review", false, "card.history_count < 3 and channel == \"ecom\" and amount > 300"),
        new("high_risk_country", "review", false, "country in [\"KP\", \"IR\", \"SY\", \"CU\"]",
            "input1.country == \"KP\" || input1.country == \"IR\" || input1.country == \"SY\" || input1.country == \"CU\""),
        new("cross_border_ecom", "review", false, "country != \"ES\" and channel == \"ecom\" and amount > 500"),
        new("round_amount", "review", false, "amount >= 500 and amount % 100 == 0 and card.first_time_merchant == 1"),
        new("gift_cards", "review", false, "category == \"es_giftcards\" and amount > 250"),
        new("travel_new_merchant", "review", false, "category == \"es_travel\" and card.first_time_merchant == 1 and amount > 1500"),
        new("gambling_velocity", "review", false, "category in [\"es_gambling\", \"es_betting\"] and card.count_1h >= 5",
            "(input1.category == \"es_gambling\" || input1.category == \"es_betting\") && input1.card_count_1h >= 5"),
        new("tiny_then_big", "review", false, "card.amount_sum_1m - amount < 5 and card.count_1m >= 2 and amount > 500"),
        new("new_device_ecom_large", "review", false, "channel == \"ecom\" and card.first_time_device == 1 and amount > 800"),
        new("log_amount_high", "review", false, "tx.log_amount > 8 and card.history_count < 20"),
        new("night_ecom", "review", false, "tx.hour < 5 and channel == \"ecom\" and amount > 400"),
        new("score_plus_velocity", "decline", false, "score > 0.6 and card.count_1h >= 10"),
        new("score_plus_travel", "decline", false, "score > 0.5 and card.speed_kmh > 500"),
        new("score_plus_merchant", "decline", false, "score > 0.7 and merchant.fraud_rate > 0.1"),
        new("abs_zscore", "review", false, "abs(card.amount_zscore) >= 6"),
        new("distinct_24h", "review", false, "card.distinct_merchants_24h >= 25"),
        new("spend_concentrated", "review", true, "card.amount_sum_24h > 0 and card.amount_sum_1h / card.amount_sum_24h > 0.9 and card.count_24h > 5"),
        new("card_testing_strict", "decline", true, "card.distinct_merchants_10m >= 3 and amount < 10"),
    ];

    public static string FraudStreamText()
    {
        var sb = new StringBuilder();
        foreach (var rule in All)
        {
            sb.Append(rule.Shadow ? "shadow rule " : "rule ").Append(rule.Name).Append(": ").Append(rule.Action).Append(" if ").Append(rule.Condition).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The same condition as a RulesEngine lambda over <see cref="RulesEngineInput"/>.</summary>
    public static string ToRulesEngine(Definition rule) =>
        rule.RulesEngineExpression ?? Token().Replace(rule.Condition, m => m.Value switch
        {
            ['"', ..] => m.Value,
            "and" => "&&",
            "or" => "||",
            "not" => "!",
            "abs" => "Math.Abs",
            "max" => "Math.Max",
            "min" => "Math.Min",
            "model.decline_threshold" => "input1.decline_threshold",
            "model.review_threshold" => "input1.review_threshold",
            _ => "input1." + m.Value.Replace('.', '_'),
        });

    [GeneratedRegex("\"[^\"]*\"|[A-Za-z_][A-Za-z0-9_.]*")]
    private static partial Regex Token();
}
