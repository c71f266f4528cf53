using FraudStream.Core.Contracts;
using FraudStream.Rules.Runtime;

namespace FraudStream.Rules.Tests;

/// <summary>A challenger's would-be decision: the same rules on the same transaction with its score and thresholds.</summary>
public sealed class WouldDecideTests
{
    private const string Rules = """
        rule blocked: decline if amount > 1000
        rule model_decline: decline if score >= model.decline_threshold
        rule probe: review if amount < 5
        shadow rule watch: review if amount > 500
        """;

    [Theory]
    [InlineData(20, 0.1f, 0.95f, "approve", "decline")] // another model's score over its decline threshold: the score rule fires for it alone
    [InlineData(2000, 0.1f, 0.0f, "decline", "decline")] // a rule that does not read the score decides both alike
    [InlineData(3, 0.1f, 0.4f, "review", "review")] // review rule; the challenger's 0.4 is under its own decline threshold (0.5)
    [InlineData(20, 0.1f, 0.3f, "approve", "review")] // no rule: the challenger's own review threshold (0.25) decides
    public void The_same_rules_decide_with_the_challenger_s_score_and_thresholds(int amount, float score, float challengerScore, string decision, string wouldBe)
    {
        using var provider = RulesetProvider.FromText(Rules);
        var worker = provider.CreateWorker();
        var tx = TestInputs.NewContext().Transaction;
        tx.Amount = amount;
        var reasons = new List<string>();

        var real = worker.Decide(tx, new float[Features.Schema.FeatureSchema.Count], score, 0.2f, 0.9f, reasons);
        var reasonsAfterDecide = reasons.ToList();

        var would = worker.WouldDecide(challengerScore, 0.25f, 0.5f);

        Assert.Equal(decision, real.ToWire());
        Assert.Equal(wouldBe, would.ToWire());
        Assert.Equal(reasonsAfterDecide, reasons); // the real decision's reasons are untouched
    }

    [Fact]
    public void The_would_be_evaluation_counts_no_hits()
    {
        using var provider = RulesetProvider.FromText(Rules);
        var worker = provider.CreateWorker();
        var tx = TestInputs.NewContext().Transaction;
        tx.Amount = 2000;
        worker.Decide(tx, new float[Features.Schema.FeatureSchema.Count], 0.1f, 0.2f, 0.9f, []);
        var (evaluations, blocked, modelDecline) = (worker.Hits.Evaluations, worker.Hits.HitsOf("blocked"), worker.Hits.HitsOf("model_decline"));

        Assert.Equal(DecisionKind.Decline, worker.WouldDecide(0.99f, 0.25f, 0.5f));

        Assert.Equal((1, 1, 0), (evaluations, blocked, modelDecline));
        Assert.Equal((evaluations, blocked, modelDecline), (worker.Hits.Evaluations, worker.Hits.HitsOf("blocked"), worker.Hits.HitsOf("model_decline")));
    }
}
