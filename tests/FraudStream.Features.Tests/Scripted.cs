using FraudStream.Core.Contracts;
using FraudStream.Features;
using FraudStream.Features.Engine;
using FraudStream.Features.Graph;
using FraudStream.Features.Schema;

namespace FraudStream.Features.Tests;

/// <summary>Builds small scripted streams and runs them through one engine.</summary>
internal sealed class Scripted
{
    public static readonly DateTime T0 = new(2026, 1, 5, 10, 0, 0, DateTimeKind.Utc);

    private static readonly FeatureOptions ExactOptions = new()
    {
        // Decay so slow that hand-computed rates are exact to float precision.
        FraudRateDecay = TimeSpan.FromDays(1_000_000),
        CompromiseDecay = TimeSpan.FromDays(1_000_000),
        LabelIndexCapacity = 4096,
    };

    private int _next;

    public Scripted(FeatureOptions? options = null)
    {
        Graph = new MerchantGraph(options ?? ExactOptions);
        Engine = new FeatureEngine(Graph);
    }

    public MerchantGraph Graph { get; }

    public FeatureEngine Engine { get; }

    public static Transaction Tx(
        TimeSpan at, string card = "c1", decimal amount = 10m, string merchant = "m1", string category = "grocery",
        string country = "DE", string? device = null, double lat = double.NaN, double lon = double.NaN, string? id = null) => new()
        {
            Id = id ?? $"{card}-{at.Ticks}-{merchant}",
            Timestamp = T0 + at,
            Card = card,
            Merchant = merchant,
            Category = category,
            Amount = amount,
            Currency = "EUR",
            Country = country,
            Device = device,
            Latitude = lat,
            Longitude = lon,
            Channel = PaymentChannel.Pos,
        };

    public float[] Run(Transaction tx)
    {
        var features = new float[FeatureSchema.Count];
        Engine.Process(tx, features);
        _next++;
        return features;
    }

    public float[] Run(TimeSpan at, string card = "c1", decimal amount = 10m, string merchant = "m1", string category = "grocery",
        string country = "DE", string? device = null, double lat = double.NaN, double lon = double.NaN, string? id = null) =>
        Run(Tx(at, card, amount, merchant, category, country, device, lat, lon, id ?? $"t{_next}"));

    public static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    public static float F(float[] features, string name)
    {
        var index = FeatureSchema.IndexOf(name);
        Assert.True(index >= 0, $"no feature {name}");
        return features[index];
    }
}
