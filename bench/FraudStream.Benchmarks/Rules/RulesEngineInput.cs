using FraudStream.Features.Schema;
using FraudStream.Rules.Runtime;

namespace FraudStream.Benchmarks.Rules;

/// <summary>The transaction and its features as Microsoft RulesEngine reads them: a plain object with properties.</summary>
public sealed class RulesEngineInput
{
#pragma warning disable IDE1006 // Property names mirror the rules language so both engines read the same names.
    public double amount { get; set; }
    public string card { get; set; } = "";
    public string merchant { get; set; } = "";
    public string category { get; set; } = "";
    public string country { get; set; } = "";
    public string channel { get; set; } = "";
    public int hour { get; set; }
    public double score { get; set; }
    public double review_threshold { get; set; }
    public double decline_threshold { get; set; }
    public double tx_amount { get; set; }
    public double tx_log_amount { get; set; }
    public double tx_hour { get; set; }
    public double tx_channel { get; set; }
    public double card_count_1m { get; set; }
    public double card_count_1h { get; set; }
    public double card_count_24h { get; set; }
    public double card_amount_sum_1m { get; set; }
    public double card_amount_sum_1h { get; set; }
    public double card_amount_sum_24h { get; set; }
    public double card_seconds_since_prev { get; set; }
    public double card_amount_mean { get; set; }
    public double card_amount_zscore { get; set; }
    public double card_amount_vs_category { get; set; }
    public double card_distinct_merchants_10m { get; set; }
    public double card_distinct_merchants_24h { get; set; }
    public double card_first_time_merchant { get; set; }
    public double card_first_time_device { get; set; }
    public double card_country_change { get; set; }
    public double card_distance_home_km { get; set; }
    public double card_speed_kmh { get; set; }
    public double card_hour_deviation { get; set; }
    public double card_history_count { get; set; }
    public double merchant_fraud_rate { get; set; }
    public double merchant_degree_24h { get; set; }
    public double merchant_compromise_share { get; set; }
    public double card_exposure { get; set; }
    public double device_distinct_cards_24h { get; set; }
#pragma warning restore IDE1006

    /// <summary>Copies a FraudStream context, property by feature name, so both engines see identical values.</summary>
    public static RulesEngineInput From(RuleContext context)
    {
        var input = new RulesEngineInput
        {
            amount = (double)context.Transaction.Amount,
            card = context.Transaction.Card,
            merchant = context.Transaction.Merchant,
            category = context.Transaction.Category,
            country = context.Transaction.Country,
            channel = context.Transaction.Channel.ToString().ToLowerInvariant(),
            hour = context.Transaction.Timestamp.Hour,
            score = context.Score,
            review_threshold = context.ReviewThreshold,
            decline_threshold = context.DeclineThreshold,
        };
        foreach (var property in typeof(RulesEngineInput).GetProperties())
        {
            if (property.PropertyType != typeof(double) || property.Name.IndexOf('_', StringComparison.Ordinal) < 0)
            {
                continue;
            }

            var featureName = property.Name.Insert(property.Name.IndexOf('_', StringComparison.Ordinal), ".").Remove(property.Name.IndexOf('_', StringComparison.Ordinal) + 1, 1);
            var index = FeatureSchema.IndexOf(featureName);
            if (index >= 0)
            {
                property.SetValue(input, (double)context.Features[index]);
            }
        }

        return input;
    }
}
