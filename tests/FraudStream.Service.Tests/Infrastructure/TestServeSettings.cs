using FraudStream.Ingest.Kafka;
using FraudStream.Service.Hosting;

namespace FraudStream.Service.Tests.Infrastructure;

/// <summary>Settings for one test's service on an embedded broker: its own SQLite file and consumer group, no dashboard.</summary>
internal static class TestServeSettings
{
    /// <summary>The card-number token key of every test service (serve refuses to start without one).</summary>
    public const string TokenKey = "test-token-key-0123456789abcdef-0123456789abcdef";

    public static string NewSqliteFile() => Path.Combine(Path.GetTempPath(), "fs-it-" + Guid.NewGuid().ToString("N")[..10], "store.db");

    public static ServeSettings OnBroker(EmbeddedBroker broker, string? sqliteFile = null, Dictionary<string, string?>? configuration = null) => new()
    {
        Bootstrap = broker.BootstrapServers,
        Database = "sqlite:" + (sqliteFile ?? NewSqliteFile()),
        DashboardPort = 0,
        GroupId = "it-" + Guid.NewGuid().ToString("N")[..8],
        Configuration = configuration,
        TokenKey = TokenKey,
    };
}
