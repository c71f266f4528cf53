using System.Numerics;
using FraudStream.Core.Contracts;

namespace FraudStream.Rules.Runtime;

/// <summary>A rule as the dashboard and the backtest report show it.</summary>
public sealed record RuleInfo(int Index, string Name, DecisionKind Action, bool Shadow, int Line, string Text, int Cost);

/// <summary>
/// An immutable, compiled set of rules. Thread-safe: any number of threads may call
/// <see cref="Evaluate"/> at once, each with its own <see cref="RuleContext"/>, reasons list and counters.
/// </summary>
public sealed class Ruleset
{
    public const string ModelDeclineReason = "model.decline";
    public const string ModelReviewReason = "model.review";

    private readonly CompiledRule[] _rules;
    private readonly Func<RuleContext, ulong>[] _chunks;
    private readonly int _featureCount;

    internal Ruleset(string version, string text, IReadOnlyList<RuleInfo> rules, CompiledRule[] compiled, Func<RuleContext, ulong>[] chunks, IReadOnlyList<string> listFiles, IReadOnlyList<string> featureNames)
    {
        _chunks = chunks;
        Version = version;
        Text = text;
        Rules = rules;
        _rules = compiled;
        ListFiles = listFiles;
        FeatureNames = featureNames;
        _featureCount = featureNames.Count;
    }

    /// <summary>Content hash of the rules text and every list's contents: the <c>ruleset_version</c>.</summary>
    public string Version { get; }

    public string Text { get; }

    public IReadOnlyList<RuleInfo> Rules { get; }

    /// <summary>Full paths of the list files the rules read, for change detection.</summary>
    public IReadOnlyList<string> ListFiles { get; }

    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>
    /// Decides one transaction. Appends the name of every matching non-shadow rule to
    /// <paramref name="reasons"/> (strings owned by the ruleset, nothing allocated) and counts hits in
    /// <paramref name="hits"/> (one counter object per thread). Precedence: approve, then decline, then
    /// review; with no rule matching, the model's thresholds decide.
    /// </summary>
    public DecisionKind Evaluate(RuleContext context, List<string> reasons, RuleHitCounters? hits)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(reasons);
        if (context.Features.Length < _featureCount)
        {
            throw new ArgumentException($"the context has {context.Features.Length} features; this ruleset needs {_featureCount}", nameof(context));
        }

        context.Prepare();
        hits?.Attach(this);
        var approve = false;
        var decline = false;
        var review = false;
        var rules = _rules;
        var chunks = _chunks;
        for (var c = 0; c < chunks.Length; c++)
        {
            // Bit i of the word: rule (64 * c + i) matched. Walking set bits keeps file order.
            var matched = chunks[c](context);
            var first = c * 64;
            while (matched != 0)
            {
                var i = first + BitOperations.TrailingZeroCount(matched);
                matched &= matched - 1;
                ref readonly var rule = ref rules[i];
                hits?.Hit(i);
                if (rule.Shadow)
                {
                    continue;
                }

                reasons.Add(rule.Name);
                switch (rule.Action)
                {
                    case DecisionKind.Approve: approve = true; break;
                    case DecisionKind.Decline: decline = true; break;
                    default: review = true; break;
                }
            }
        }

        hits?.CountEvaluation();

        if (approve)
        {
            return DecisionKind.Approve;
        }

        if (decline)
        {
            return DecisionKind.Decline;
        }

        if (review)
        {
            return DecisionKind.Review;
        }

        return ByModelThresholds(context.Score, context.ReviewThreshold, context.DeclineThreshold, reasons);
    }

    /// <summary>What decides when no rule matched: the model's score against its thresholds.</summary>
    public static DecisionKind ByModelThresholds(float score, float reviewThreshold, float declineThreshold, List<string> reasons)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        if (score >= declineThreshold)
        {
            reasons.Add(ModelDeclineReason);
            return DecisionKind.Decline;
        }

        if (score >= reviewThreshold)
        {
            reasons.Add(ModelReviewReason);
            return DecisionKind.Review;
        }

        // Includes a NaN score: the pipeline adds "model_unavailable" itself.
        return DecisionKind.Approve;
    }

    /// <summary>Index of the rule with this name, or -1.</summary>
    public int IndexOf(string name)
    {
        for (var i = 0; i < _rules.Length; i++)
        {
            if (string.Equals(_rules[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}

internal readonly record struct CompiledRule(string Name, DecisionKind Action, bool Shadow);
