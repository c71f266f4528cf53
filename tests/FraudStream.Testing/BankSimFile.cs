namespace FraudStream.Testing;

/// <summary>
/// The real BankSim file: tests on it skip locally with the reason when it is absent, but never under CI
/// (see <see cref="Prerequisites"/>): there the test runs and fails loudly.
/// </summary>
public static class BankSimFile
{
    public const string FileName = "bs140513_032310.steps000-149.csv.gz";

    /// <summary>The real file: $FRAUDSTREAM_BANKSIM, else shared/data/banksim/ in a folder above the tests.</summary>
    public static string? Find()
    {
        var configured = Environment.GetEnvironmentVariable("FRAUDSTREAM_BANKSIM");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "banksim", FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

public sealed class BankSimFileFactAttribute : FactAttribute
{
    public BankSimFileFactAttribute()
    {
        Skip = Prerequisites.SkipUnlessCi(BankSimFile.Find() is null
            ? $"the BankSim file {BankSimFile.FileName} is not in shared/data/banksim above the tests (or $FRAUDSTREAM_BANKSIM)"
            : null);
    }
}
