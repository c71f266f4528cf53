using FraudStream.Core.Contracts;
using FraudStream.Storage;
using FraudStream.Storage.Records;
using FraudStream.Testing;

namespace FraudStream.Storage.Tests;

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

    /// <summary>Decisions through the production write path, as one batch; returns those inserted.</summary>
    public static async Task<int> WriteAsync(FraudStore store, params DecisionRecord[] decisions)
    {
        using var writer = await store.OpenOutcomeWriterAsync();
        return writer.Write(decisions, []);
    }

    /// <summary>Labels through the production write path, as one batch.</summary>
    public static async Task WriteLabelsAsync(FraudStore store, params LabelRecord[] labels)
    {
        using var writer = await store.OpenOutcomeWriterAsync();
        writer.WriteLabels(labels, []);
    }

    public static DecisionRecord Decision(string id, DecisionKind decision = DecisionKind.Approve, double? score = 0.1) => new()
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
        Channel = PaymentChannel.Pos.ToWire(),
        Decision = decision.ToWire(),
        Score = score,
        Reasons = decision == DecisionKind.Approve ? "" : StoredReasons.Join(["velocity", "model.review"]),
        ModelVersion = "m1",
        RulesetVersion = "r1",
        DecidedAt = DateTime.UtcNow,
        LatencyUs = 1234,
        SourcePartition = 0,
        SourceOffset = 1,
    };
}
