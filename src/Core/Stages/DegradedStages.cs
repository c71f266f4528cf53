using FraudStream.Core.Contracts;

namespace FraudStream.Core.Stages;

/// <summary>
/// What runs when no model package loads: every score is NaN and the decision says
/// <c>model_unavailable</c>. The stream never stalls for want of a model.
/// </summary>
public sealed class ModelUnavailableScoring : IScoringStage
{
    public bool ModelAvailable => false;

    public string ModelVersion => "none";

    public string Device => "none";

    public float ReviewThreshold => float.NaN;

    public float DeclineThreshold => float.NaN;

    public void Score(ReadOnlySpan<float> features, int rows, Span<float> scores, out long batchWaitMicros, out long computeMicros)
    {
        scores[..rows].Fill(float.NaN);
        batchWaitMicros = 0;
        computeMicros = 0;
    }

    public int Explain(ReadOnlySpan<float> features, Span<string?> topFeatures) => 0;
}

/// <summary>
/// Decides from the model's thresholds alone, for when no rules file is configured: the documented
/// default of the rules engine when no rule matches.
/// </summary>
public sealed class ThresholdOnlyRules : IRulesStage, IRulesWorker
{
    public const string ModelDecline = "model.decline";
    public const string ModelReview = "model.review";

    public string RulesetVersion => "thresholds-only";

    public IRulesWorker CreateWorker() => this;

    public IReadOnlyList<RuleHitTotal> HitTotals() => [];

    public DecisionKind Decide(Transaction tx, float[] features, float score, float reviewThreshold, float declineThreshold, List<string> reasons)
    {
        if (float.IsNaN(score))
        {
            return DecisionKind.Approve;
        }

        if (score >= declineThreshold)
        {
            reasons.Add(ModelDecline);
            return DecisionKind.Decline;
        }

        if (score >= reviewThreshold)
        {
            reasons.Add(ModelReview);
            return DecisionKind.Review;
        }

        return DecisionKind.Approve;
    }
}

