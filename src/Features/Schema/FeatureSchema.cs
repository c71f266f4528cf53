namespace FraudStream.Features.Schema;

/// <summary>
/// The one definition of the model's input: names, order and version. Training writes it into the
/// model package, scoring checks a package against it, rules refer to features by these names and
/// explanations report them.
/// </summary>
public static class FeatureSchema
{
    /// <summary>Bumped whenever a name, its meaning or the order changes.</summary>
    public const string Version = "fs-features-v1";

    private static readonly string[] NameList =
    [
        "tx.amount",
        "tx.log_amount",
        "tx.hour",
        "tx.channel",
        "card.count_1m",
        "card.count_1h",
        "card.count_24h",
        "card.amount_sum_1m",
        "card.amount_sum_1h",
        "card.amount_sum_24h",
        "card.seconds_since_prev",
        "card.amount_mean",
        "card.amount_zscore",
        "card.amount_vs_category",
        "card.distinct_merchants_10m",
        "card.distinct_merchants_24h",
        "card.first_time_merchant",
        "card.first_time_device",
        "card.country_change",
        "card.distance_home_km",
        "card.speed_kmh",
        "card.hour_deviation",
        "card.history_count",
        "merchant.fraud_rate",
        "merchant.degree_24h",
        "merchant.compromise_share",
        "card.exposure",
        "device.distinct_cards_24h",
    ];

    public static IReadOnlyList<string> Names => NameList;

    public static int Count => NameList.Length;

    public static int IndexOf(string name) => Array.IndexOf(NameList, name);
}
