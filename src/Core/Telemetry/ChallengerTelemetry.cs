namespace FraudStream.Core.Telemetry;

/// <summary>Why the challenger did not score a batch: the label of <c>challenger_skipped_total{reason}</c>.</summary>
public enum ChallengerSkip
{
    /// <summary>Submissions were waiting for the scoring thread: the challenger is dropped first under load.</summary>
    Load,

    /// <summary>The challenger threw on a batch, or is sitting out the cool-down after one.</summary>
    Error,

    /// <summary>The challenger sits out the cool-down after a batch that ran over its budget.</summary>
    OverBudget,
}

public static class ChallengerSkips
{
    public const int Count = 3;

    private static readonly string[] Names = ["load", "error", "over_budget"];

    public static string Name(this ChallengerSkip skip) => Names[(int)skip];

    public static IReadOnlyList<string> All => Names;
}

/// <summary>
/// The challenger as the scorer sees it, cumulative since start: its state (<c>none</c>, <c>scoring</c>, <c>refused</c>:
/// the last package tried in its folder was not loaded, <see cref="Rejected"/> says why), the transactions it scored and
/// those it skipped per <see cref="ChallengerSkip"/> reason, and its compute beside the champion's on the batches it ran.
/// </summary>
public sealed record ChallengerTelemetry(
    string State,
    string? Version,
    string? Rejected,
    long ScoredRows,
    IReadOnlyList<long> SkippedRows,
    long Batches,
    double ComputeMicros,
    double ChampionComputeMicros,
    long OverBudgetBatches,
    ModelComparison? Comparison)
{
    public static readonly ChallengerTelemetry None = new("none", null, null, 0, new long[ChallengerSkips.Count], 0, 0, 0, 0, null);

    public long Skipped(ChallengerSkip reason) => SkippedRows[(int)reason];
}
