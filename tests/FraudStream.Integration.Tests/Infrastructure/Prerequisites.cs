namespace FraudStream.Integration.Tests.Infrastructure;

/// <summary>
/// Integration tests need real servers. Missing prerequisites skip the test locally with the reason,
/// but under CI (the CI environment variable set) they never skip: the test runs and fails loudly.
/// </summary>
internal static class Prerequisites
{
    public static bool InCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public static string? SkipUnlessCi(string? missingReason) => missingReason is null || InCi ? null : missingReason;
}

public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        Skip = Prerequisites.SkipUnlessCi(PostgresServer.MissingReason);
    }
}
