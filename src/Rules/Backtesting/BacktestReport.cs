using System.Text.Json;
using System.Text.Json.Serialization;

namespace FraudStream.Rules.Backtesting;

/// <summary>How often each decision was made.</summary>
public sealed record DecisionCounts(long Approve, long Review, long Decline);

/// <summary>One rule's performance. Precision is over its labeled hits; recall is over all labeled frauds.</summary>
public sealed record RuleBacktestResult(
    string Name,
    string Action,
    bool Shadow,
    long Hits,
    long LabeledHits,
    long FraudHits,
    double? Precision,
    double? Recall);

/// <summary>How many transactions moved from one decision to another between the current and candidate rules.</summary>
public sealed record DecisionChange(string From, string To, long Count);

/// <summary>Result of running recorded transactions through a candidate ruleset (and the current one).</summary>
public sealed record BacktestReport(
    string CandidateVersion,
    string? CurrentVersion,
    long Transactions,
    long Labeled,
    long Frauds,
    DecisionCounts Decisions,
    DecisionCounts? CurrentDecisions,
    long? ChangedDecisions,
    IReadOnlyList<DecisionChange> Changes,
    double? Precision,
    double? Recall,
    double? CurrentPrecision,
    double? CurrentRecall,
    long ModelDecisions,
    IReadOnlyList<RuleBacktestResult> Rules)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static BacktestReport? FromJson(string json) => JsonSerializer.Deserialize<BacktestReport>(json, JsonOptions);

    /// <summary>A plain-text table for the terminal.</summary>
    public void WriteText(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine($"candidate {CandidateVersion}{(CurrentVersion is null ? "" : $" vs current {CurrentVersion}")}");
        output.WriteLine($"transactions {Transactions}, labeled {Labeled}, frauds {Frauds}");
        output.WriteLine($"decisions: approve {Decisions.Approve}, review {Decisions.Review}, decline {Decisions.Decline} (model decided {ModelDecisions})");
        output.WriteLine($"review+decline: precision {Format(Precision)}, recall {Format(Recall)}");
        if (CurrentDecisions is { } current)
        {
            output.WriteLine($"current: approve {current.Approve}, review {current.Review}, decline {current.Decline}; precision {Format(CurrentPrecision)}, recall {Format(CurrentRecall)}");
            output.WriteLine($"changed decisions: {ChangedDecisions}");
            foreach (var change in Changes)
            {
                output.WriteLine($"  {change.From} -> {change.To}: {change.Count}");
            }
        }

        output.WriteLine($"{"rule",-32} {"action",-8} {"hits",9} {"fraud",8} {"precision",9} {"recall",7}");
        foreach (var rule in Rules)
        {
            var name = rule.Shadow ? rule.Name + " (shadow)" : rule.Name;
            output.WriteLine($"{name,-32} {rule.Action,-8} {rule.Hits,9} {rule.FraudHits,8} {Format(rule.Precision),9} {Format(rule.Recall),7}");
        }
    }

    private static string Format(double? value) => value is { } v ? v.ToString("0.000") : "n/a";
}
