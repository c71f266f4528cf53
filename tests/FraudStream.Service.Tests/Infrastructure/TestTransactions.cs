using FraudStream.Core.Contracts;

namespace FraudStream.Service.Tests.Infrastructure;

internal static class TestTransactions
{
    public static Transaction Make(int i, int cards = 50) => new()
    {
        Id = $"tx-{i:D6}",
        Timestamp = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i),
        Card = $"card-{i % cards:D4}",
        Merchant = $"m-{i % 17}",
        Category = "grocery",
        Amount = 10m + (i % 90),
        Currency = "EUR",
        Country = "DE",
        Latitude = 52.5,
        Longitude = 13.4,
        Device = $"dev-{i % cards}",
        Channel = PaymentChannel.Pos,
    };
}
