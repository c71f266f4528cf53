using FraudStream.Features.Schema;

namespace FraudStream.Features.Tests;

public class FeatureSchemaTests
{
    [Theory]
    [InlineData(FeatureSchema.TxAmount, "tx.amount")]
    [InlineData(FeatureSchema.TxLogAmount, "tx.log_amount")]
    [InlineData(FeatureSchema.TxHour, "tx.hour")]
    [InlineData(FeatureSchema.TxChannel, "tx.channel")]
    [InlineData(FeatureSchema.CardCount1m, "card.count_1m")]
    [InlineData(FeatureSchema.CardCount1h, "card.count_1h")]
    [InlineData(FeatureSchema.CardCount24h, "card.count_24h")]
    [InlineData(FeatureSchema.CardAmountSum1m, "card.amount_sum_1m")]
    [InlineData(FeatureSchema.CardAmountSum1h, "card.amount_sum_1h")]
    [InlineData(FeatureSchema.CardAmountSum24h, "card.amount_sum_24h")]
    [InlineData(FeatureSchema.CardSecondsSincePrev, "card.seconds_since_prev")]
    [InlineData(FeatureSchema.CardAmountMean, "card.amount_mean")]
    [InlineData(FeatureSchema.CardAmountZScore, "card.amount_zscore")]
    [InlineData(FeatureSchema.CardAmountVsCategory, "card.amount_vs_category")]
    [InlineData(FeatureSchema.CardDistinctMerchants10m, "card.distinct_merchants_10m")]
    [InlineData(FeatureSchema.CardDistinctMerchants24h, "card.distinct_merchants_24h")]
    [InlineData(FeatureSchema.CardFirstTimeMerchant, "card.first_time_merchant")]
    [InlineData(FeatureSchema.CardFirstTimeDevice, "card.first_time_device")]
    [InlineData(FeatureSchema.CardCountryChange, "card.country_change")]
    [InlineData(FeatureSchema.CardDistanceHomeKm, "card.distance_home_km")]
    [InlineData(FeatureSchema.CardSpeedKmh, "card.speed_kmh")]
    [InlineData(FeatureSchema.CardHourDeviation, "card.hour_deviation")]
    [InlineData(FeatureSchema.CardHistoryCount, "card.history_count")]
    [InlineData(FeatureSchema.MerchantFraudRate, "merchant.fraud_rate")]
    [InlineData(FeatureSchema.MerchantDegree24h, "merchant.degree_24h")]
    [InlineData(FeatureSchema.MerchantCompromiseShare, "merchant.compromise_share")]
    [InlineData(FeatureSchema.CardExposure, "card.exposure")]
    [InlineData(FeatureSchema.DeviceDistinctCards24h, "device.distinct_cards_24h")]
    public void Index_constant_matches_the_name_list(int index, string name) =>
        Assert.Equal(index, FeatureSchema.IndexOf(name));

    [Fact]
    public void Every_name_has_a_known_prefix_and_is_unique()
    {
        Assert.Equal(FeatureSchema.Count, FeatureSchema.Names.Distinct().Count());
        Assert.All(FeatureSchema.Names, n => Assert.Matches("^(tx|card|merchant|device)\\.[a-z0-9_]+$", n));
    }
}
