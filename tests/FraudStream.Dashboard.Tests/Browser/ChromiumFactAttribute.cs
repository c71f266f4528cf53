using FraudStream.Testing;

namespace FraudStream.Dashboard.Tests.Browser;

/// <summary>
/// A browser test: skipped with the reason when Debian's chromium is missing locally; under CI it runs
/// (and fails) instead, so a CI image without chromium cannot pass silently.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        Skip = Prerequisites.SkipUnlessCi(File.Exists(ChromiumPath)
            ? null
            : $"{ChromiumPath} is missing: apt-get install -y chromium (this test fails instead when CI is set)");
    }
}
