using FraudStream.Core.Contracts;
using FraudStream.Core.Stages;
using FraudStream.Rules.Runtime;

namespace FraudStream.Rules.Stage;

/// <summary>
/// Running without a rules file (<c>--rules none</c>): the model's thresholds decide, as they do in a ruleset
/// when no rule matches.
/// </summary>
public sealed class ThresholdOnlyRules : IRulesStage, IRulesWorker
{
    public string RulesetVersion => "thresholds-only";

    public IRulesWorker CreateWorker() => this;

    public IReadOnlyList<RuleHitTotal> HitTotals() => [];

    public DecisionKind Decide(Transaction tx, float[] features, float score, float reviewThreshold, float declineThreshold, List<string> reasons) =>
        Ruleset.ByModelThresholds(score, reviewThreshold, declineThreshold, reasons);

    /// <summary>Thresholds alone: the transaction does not matter. Shared by every worker, so no shared reasons list.</summary>
    public DecisionKind WouldDecide(float score, float reviewThreshold, float declineThreshold) =>
        score >= declineThreshold ? DecisionKind.Decline : score >= reviewThreshold ? DecisionKind.Review : DecisionKind.Approve;
}
