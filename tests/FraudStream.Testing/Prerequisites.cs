namespace FraudStream.Testing;

/// <summary>
/// Tests that need something real (a server, a browser, a data file) skip locally with the reason when it is
/// missing, but under CI (the CI environment variable set) they never skip: the test runs and fails loudly.
/// </summary>
public static class Prerequisites
{
    public static bool InCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public static string? SkipUnlessCi(string? missingReason) => missingReason is null || InCi ? null : missingReason;
}

/// <summary>A test on the throwaway PostgreSQL server: see <see cref="Prerequisites"/> for when it skips.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        Skip = Prerequisites.SkipUnlessCi(PostgresServer.MissingReason);
    }
}

/// <summary>A test that stops and starts a PostgreSQL cluster of its own (<see cref="PostgresServer.StartOwn"/>): the binaries are needed.</summary>
public sealed class OwnPostgresFactAttribute : FactAttribute
{
    public OwnPostgresFactAttribute()
    {
        Skip = Prerequisites.SkipUnlessCi(PostgresServer.OwnMissingReason);
    }
}
