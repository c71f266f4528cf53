namespace FraudStream.Ingest.Simulation;

/// <summary>Where a category's merchants take payments.</summary>
internal enum MerchantChannels : byte
{
    PosOnly,
    EcomOnly,
    Mixed,
    Atm,
}

/// <summary>
/// A merchant category with its log-normal amount distribution (median and spread in the local
/// currency unit) and how common it is among cardholders' purchases.
/// </summary>
internal sealed record SpendingCategory(string Name, double MedianAmount, double Sigma, MerchantChannels Channels, double Popularity, double MerchantShare)
{
    public double LogMedian { get; } = Math.Log(MedianAmount);
}

internal static class SpendingCategories
{
    public const string Grocery = "grocery";
    public const string Restaurant = "restaurant";
    public const string Fuel = "fuel";
    public const string Transport = "transport";
    public const string Pharmacy = "pharmacy";
    public const string Fashion = "fashion";
    public const string Electronics = "electronics";
    public const string OnlineRetail = "online_retail";
    public const string DigitalGoods = "digital_goods";
    public const string Travel = "travel";
    public const string Entertainment = "entertainment";
    public const string Health = "health";
    public const string HomeGarden = "home_garden";
    public const string CashWithdrawal = "cash_withdrawal";

    public static readonly SpendingCategory[] All =
    [
        new(Grocery, 32, 0.65, MerchantChannels.PosOnly, 0.24, 0.14),
        new(Restaurant, 26, 0.55, MerchantChannels.PosOnly, 0.15, 0.14),
        new(Fuel, 48, 0.35, MerchantChannels.PosOnly, 0.07, 0.06),
        new(Transport, 9, 0.70, MerchantChannels.Mixed, 0.08, 0.05),
        new(Pharmacy, 17, 0.60, MerchantChannels.PosOnly, 0.04, 0.05),
        new(Fashion, 55, 0.70, MerchantChannels.Mixed, 0.06, 0.09),
        new(Electronics, 120, 0.95, MerchantChannels.Mixed, 0.03, 0.06),
        new(OnlineRetail, 38, 0.80, MerchantChannels.EcomOnly, 0.10, 0.10),
        new(DigitalGoods, 11, 0.80, MerchantChannels.EcomOnly, 0.05, 0.06),
        new(Travel, 220, 0.85, MerchantChannels.EcomOnly, 0.02, 0.04),
        new(Entertainment, 28, 0.60, MerchantChannels.Mixed, 0.05, 0.07),
        new(Health, 65, 0.70, MerchantChannels.PosOnly, 0.02, 0.04),
        new(HomeGarden, 70, 0.85, MerchantChannels.PosOnly, 0.03, 0.05),
        new(CashWithdrawal, 90, 0.60, MerchantChannels.Atm, 0.06, 0.05),
    ];

    public static int IndexOf(string name)
    {
        for (var i = 0; i < All.Length; i++)
        {
            if (All[i].Name == name)
            {
                return i;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(name), name, "unknown category");
    }
}
