using Microsoft.Extensions.Options;

namespace FraudStream.Scoring.Runtime;

/// <summary>
/// The one check of <see cref="ScoringOptions"/>, run when the service starts: each failure is one line that names
/// the setting as it is configured (<c>Scoring:Key</c>, and the command-line flag where there is one).
/// </summary>
public sealed class ScoringOptionsValidator : IValidateOptions<ScoringOptions>
{
    public const int MaxBatchSizeLimit = 65536;

    public ValidateOptionsResult Validate(string? name, ScoringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ModelDirectory))
        {
            failures.Add($"{ScoringOptions.Section}:{nameof(ScoringOptions.ModelDirectory)} (--model) is not set: "
                + $"give a model package directory, or {ScoringOptions.NoModel} to run without a model");
        }

        if (options.MaxBatchSize is < 1 or > MaxBatchSizeLimit)
        {
            failures.Add(Setting(nameof(ScoringOptions.MaxBatchSize), $"must be 1..{MaxBatchSizeLimit}", options.MaxBatchSize));
        }

        if (options.MaxWaitMicros is < 0)
        {
            failures.Add(Setting(nameof(ScoringOptions.MaxWaitMicros), "must be 0 or more", options.MaxWaitMicros));
        }

        if (options.MaxPendingSubmissions < 1)
        {
            failures.Add(Setting(nameof(ScoringOptions.MaxPendingSubmissions), "must be 1 or more", options.MaxPendingSubmissions));
        }

        if (options.CpuThreads < 0)
        {
            failures.Add(Setting(nameof(ScoringOptions.CpuThreads), "must be 0 (ONNX Runtime decides) or more", options.CpuThreads));
        }

        if (options.ChallengerBudgetMicros < 1)
        {
            failures.Add(Setting(nameof(ScoringOptions.ChallengerBudgetMicros), "must be 1 or more", options.ChallengerBudgetMicros));
        }

        if (options.ChallengerSkipAtWaiting < 1)
        {
            failures.Add(Setting(nameof(ScoringOptions.ChallengerSkipAtWaiting), "must be 1 or more", options.ChallengerSkipAtWaiting));
        }

        if (options.ChallengerCooldownMs < 0)
        {
            failures.Add(Setting(nameof(ScoringOptions.ChallengerCooldownMs), "must be 0 or more", options.ChallengerCooldownMs));
        }

        if (!string.IsNullOrWhiteSpace(options.ChallengerDirectory)
            && string.Equals(options.ModelDirectory, ScoringOptions.NoModel, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{ScoringOptions.Section}:{nameof(ScoringOptions.ChallengerDirectory)} (--challenger) needs a champion to score beside: "
                + $"{ScoringOptions.Section}:{nameof(ScoringOptions.ModelDirectory)} (--model) is {ScoringOptions.NoModel}");
        }

        if (options.ChallengerDirectory is { } challenger && string.Equals(challenger, ScoringOptions.NoModel, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{ScoringOptions.Section}:{nameof(ScoringOptions.ChallengerDirectory)} (--challenger) is a package directory; leave it unset for no challenger");
        }

        if (RegistryCacheProblem(options.RegistryCacheDirectory) is { } cacheProblem)
        {
            failures.Add($"{ScoringOptions.Section}:{nameof(ScoringOptions.RegistryCacheDirectory)} {cacheProblem} (is '{options.RegistryCacheDirectory}')");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>A folder packages from the registry can be unpacked into: a path, not a file; null when it is one.</summary>
    private static string? RegistryCacheProblem(string? directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            return "is not set: a folder to unpack packages from the model registry into";
        }

        string full;
        try
        {
            full = Path.GetFullPath(directory);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return "is not a usable path: " + ex.Message;
        }

        return File.Exists(full) ? "is a file; it must be a folder (created when missing)" : null;
    }

    private static string Setting(string key, string rule, object? value) => $"{ScoringOptions.Section}:{key} {rule} (is {value})";
}
