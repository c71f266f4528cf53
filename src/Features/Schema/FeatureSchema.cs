namespace FraudStream.Features.Schema;

/// <summary>
/// The one definition of the model's input: names, order and version. Training writes it into the
/// model package, scoring checks a package against it, rules refer to features by these names and
/// explanations report them. Missing values are NaN.
/// </summary>
public static class FeatureSchema
{
    /// <summary>Bumped whenever a name, its meaning or the order changes.</summary>
    public const string Version = "fs-features-v1";

    // Positions in the feature vector; a test checks each one against NameList.
    public const int TxAmount = 0;
    public const int TxLogAmount = 1;
    public const int TxHour = 2;
    public const int TxChannel = 3;
    public const int CardCount1m = 4;
    public const int CardCount1h = 5;
    public const int CardCount24h = 6;
    public const int CardAmountSum1m = 7;
    public const int CardAmountSum1h = 8;
    public const int CardAmountSum24h = 9;
    public const int CardSecondsSincePrev = 10;
    public const int CardAmountMean = 11;
    public const int CardAmountZScore = 12;
    public const int CardAmountVsCategory = 13;
    public const int CardDistinctMerchants10m = 14;
    public const int CardDistinctMerchants24h = 15;
    public const int CardFirstTimeMerchant = 16;
    public const int CardFirstTimeDevice = 17;
    public const int CardCountryChange = 18;
    public const int CardDistanceHomeKm = 19;
    public const int CardSpeedKmh = 20;
    public const int CardHourDeviation = 21;
    public const int CardHistoryCount = 22;
    public const int MerchantFraudRate = 23;
    public const int MerchantDegree24h = 24;
    public const int MerchantCompromiseShare = 25;
    public const int CardExposure = 26;
    public const int DeviceDistinctCards24h = 27;

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
