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
        return _provider.Current.Evaluate(context, reasons, Hits);
    }
}
