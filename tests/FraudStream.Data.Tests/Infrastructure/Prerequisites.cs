namespace FraudStream.Data.Tests.Infrastructure;

/// <summary>
/// Tests on the real BankSim file skip locally with the reason when it is absent, but never under CI
/// (the CI environment variable set): there the test runs and fails loudly.
/// </summary>
internal static class Prerequisites
{
    public const string BankSimFileName = "bs140513_032310.steps000-149.csv.gz";

    public static bool InCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>The real file: $FRAUDSTREAM_BANKSIM, else shared/data/banksim/ in a folder above the tests.</summary>
    public static string? FindBankSimFile()
    {
        var configured = Environment.GetEnvironmentVariable("FRAUDSTREAM_BANKSIM");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "banksim", BankSimFileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static string? SkipUnlessCi(string? missingReason) => missingReason is null || InCi ? null : missingReason;
}

public sealed class BankSimFileFactAttribute : FactAttribute
{
    public BankSimFileFactAttribute()
    {
        Skip = Prerequisites.SkipUnlessCi(Prerequisites.FindBankSimFile() is null
            ? $"the BankSim file {Prerequisites.BankSimFileName} is not in shared/data/banksim above the tests (or $FRAUDSTREAM_BANKSIM)"
            : null);
    }
}
