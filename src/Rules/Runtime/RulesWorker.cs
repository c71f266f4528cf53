using FraudStream.Core.Contracts;
using FraudStream.Core.Stages;

namespace FraudStream.Rules.Runtime;

/// <summary>
/// One pipeline worker's view of the rules: a reusable <see cref="RuleContext"/> and its own hit
/// counters. Not thread-safe: one per worker thread. Each call reads <see cref="RulesetProvider.Current"/>
/// once, so a reload takes effect between transactions and never within one.
/// </summary>
public sealed class RulesWorker : IRulesWorker
{
    private readonly RulesetProvider _provider;
    private readonly RuleContext _context = new();
    private readonly List<string> _wouldBeReasons = new(8);
    private Ruleset? _lastRuleset;

    internal RulesWorker(RulesetProvider provider)
    {
        _provider = provider;
    }

    public RuleHitCounters Hits { get; } = new();

    /// <summary>Appends every matching non-shadow rule's name to <paramref name="reasons"/> and returns the decision. Allocates nothing.</summary>
    public DecisionKind Decide(Transaction tx, float[] features, float score, float reviewThreshold, float declineThreshold, List<string> reasons)
    {
        var context = _context;
        context.Transaction = tx;
        context.Features = features;
        context.Score = score;
        context.ReviewThreshold = reviewThreshold;
        context.DeclineThreshold = declineThreshold;
        _lastRuleset = _provider.Current;
        return _lastRuleset.Evaluate(context, reasons, Hits);
    }

    /// <summary>
    /// The same rules on the same transaction with another score and thresholds: a score rule (<c>score &gt;=
    /// model.decline_threshold</c>) and the thresholds decide by the challenger, every other rule as it did. The
    /// ruleset of the last <see cref="Decide"/>, even if a reload came in between. Allocates nothing.
    /// </summary>
    public DecisionKind WouldDecide(float score, float reviewThreshold, float declineThreshold)
    {
        var ruleset = _lastRuleset ?? throw new InvalidOperationException("WouldDecide before any Decide");
        var context = _context;
        context.Score = score;
        context.ReviewThreshold = reviewThreshold;
        context.DeclineThreshold = declineThreshold;
        _wouldBeReasons.Clear();
        return ruleset.Evaluate(context, _wouldBeReasons, hits: null);
    }
}
