using FraudStream.Integration.Tests.Infrastructure;
using FraudStream.Storage;
using FraudStream.Storage.Records;

namespace FraudStream.Integration.Tests.Storage;

internal static class StoreFixtures
{
    public static async Task<FraudStore> NewStoreAsync(StoreProvider provider)
    {
        var location = provider == StoreProvider.Sqlite
            ? new StoreLocation(StoreProvider.Sqlite, Path.Combine(Path.GetTempPath(), "fs-test-" + Guid.NewGuid().ToString("N")[..10], "store.db"))
            : new StoreLocation(StoreProvider.Postgres, PostgresServer.Instance.CreateDatabase());
        var store = FraudStore.Open(location);
        await store.MigrateAsync();
        return store;
    }

    public static DecisionRecord Decision(string id, string decision = "approve", double? score = 0.1) => new()
    {
        Id = id,
        EventTs = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc),
        Card = "card-1",
        Merchant = "m-1",
        Category = "grocery",
        Amount = 12.34m,
        Currency = "EUR",
        Country = "DE",
        Lat = 52.5,
        Lon = 13.4,
        Device = "dev-1",
        Channel = "pos",
        Decision = decision,
        Score = score,
        Reasons = decision == "approve" ? "" : "velocity|model.review",
        ModelVersion = "m1",
        RulesetVersion = "r1",
        DecidedAt = DateTime.UtcNow,
        LatencyUs = 1234,
        SourcePartition = 0,
        SourceOffset = 1,
    };
}
