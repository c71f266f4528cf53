namespace FraudStream.Features.Schema;

/// <summary>
/// The one definition of the model's input: names, order and version. Training writes it into the
/// model package, scoring checks a package against it, rules refer to features by these names and
/// explanations report them. Missing values are NaN.
/// </summary>
public static class FeatureSchema
{
    /// <summary>Bumped whenever a name, its meaning or the order changes.</summary>
    public const string Version = "fs-features-v2";

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

    // v2: longer memory, from day buckets (Engine/DayBuckets); appended, so v1 positions and names are unchanged.
    public const int CardCount7d = 28;
    public const int CardCount30d = 29;
    public const int CardAmountVsMean7d = 30;
    public const int CardAmountVsMean30d = 31;
    public const int CardWeekdayShare = 32;
    public const int MerchantCount1d = 33;
    public const int MerchantCount7d = 34;
    public const int MerchantCount30d = 35;
    public const int MerchantAmountVsMean30d = 36;
    public const int MerchantFraudRate1d = 37;
    public const int MerchantFraudRate7d = 38;
    public const int MerchantFraudRate30d = 39;
    public const int MerchantFraudRate7dLag7 = 40;
    public const int CardDaysSinceReportedFraud = 41;

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
        "card.count_7d",
        "card.count_30d",
        "card.amount_vs_mean_7d",
        "card.amount_vs_mean_30d",
        "card.weekday_share",
        "merchant.count_1d",
        "merchant.count_7d",
        "merchant.count_30d",
        "merchant.amount_vs_mean_30d",
        "merchant.fraud_rate_1d",
        "merchant.fraud_rate_7d",
        "merchant.fraud_rate_30d",
        "merchant.fraud_rate_7d_lag7",
        "card.days_since_reported_fraud",
    ];

    public static IReadOnlyList<string> Names => NameList;

    public static int Count => NameList.Length;

    public static int IndexOf(string name) => Array.IndexOf(NameList, name);
}
