using FraudStream.Core.Contracts;
using FraudStream.Rules.Compilation;
using FraudStream.Rules.Runtime;
using FraudStream.Testing;

namespace FraudStream.Rules.Tests;

public sealed class PrecedenceTests
{
    private static (DecisionKind Decision, List<string> Reasons) Decide(string rules, Action<RuleContext>? setup = null, RuleHitCounters? hits = null)
    {
        var ruleset = RulesCompiler.Compile(rules);
        var context = TestInputs.NewContext();
        setup?.Invoke(context);
        var reasons = new List<string>();
        var decision = ruleset.Evaluate(context, reasons, hits);
        return (decision, reasons);
    }

    [Fact]
    public void Approve_wins_over_decline_and_every_match_is_a_reason()
    {
        var (decision, reasons) = Decide("rule d: decline if true\nrule a: approve if true\nrule r: review if true");

        Assert.Equal(DecisionKind.Approve, decision);
        Assert.Equal(["d", "a", "r"], reasons);
    }

    [Fact]
    public void Decline_wins_over_review_when_both_match()
    {
        var (decision, reasons) = Decide("rule r: review if true\nrule d: decline if true\nrule n: approve if false");

        Assert.Equal(DecisionKind.Decline, decision);
        Assert.Equal(["r", "d"], reasons);
    }

    [Fact]
    public void Review_rule_alone_decides_review_even_when_the_score_is_high()
    {
        var (decision, reasons) = Decide("rule r: review if true", c => c.Score = 0.99f);

        Assert.Equal(DecisionKind.Review, decision);
        Assert.Equal(["r"], reasons);
    }

    [Theory]
    [InlineData(0.95f, DecisionKind.Decline, "model.decline")]
    [InlineData(0.9f, DecisionKind.Decline, "model.decline")]
    [InlineData(0.7f, DecisionKind.Review, "model.review")]
    [InlineData(0.5f, DecisionKind.Review, "model.review")]
    [InlineData(0.2f, DecisionKind.Approve, null)]
    [InlineData(float.NaN, DecisionKind.Approve, null)]
    public void With_no_rule_matching_the_model_thresholds_decide(float score, DecisionKind expected, string? reason)
    {
        var (decision, reasons) = Decide("rule never: decline if false", c => c.Score = score);

        Assert.Equal(expected, decision);
        Assert.Equal(reason is null ? [] : [reason], reasons);
    }

    [Fact]
    public void Empty_ruleset_leaves_the_decision_to_the_model()
    {
        var (decision, reasons) = Decide("# nothing yet\n", c => c.Score = 0.95f);

        Assert.Equal(DecisionKind.Decline, decision);
        Assert.Equal(["model.decline"], reasons);
    }

    [Fact]
    public void Shadow_rule_is_counted_but_never_changes_the_decision_or_the_reasons()
    {
        var hits = new RuleHitCounters();
        var (decision, reasons) = Decide("shadow rule geo: decline if true\nrule r: review if amount > 5", hits: hits);

        Assert.Equal(DecisionKind.Review, decision);
        Assert.Equal(["r"], reasons);
        Assert.Equal(1, hits.HitsOf("geo"));
        Assert.Equal(1, hits.HitsOf("r"));
        Assert.Equal(1, hits.Evaluations);
    }

    [Fact]
    public void Shadow_match_alone_leaves_the_decision_to_the_model()
    {
        var (decision, reasons) = Decide("shadow rule s: approve if true", c => c.Score = 0.95f);

        Assert.Equal(DecisionKind.Decline, decision);
        Assert.Equal(["model.decline"], reasons);
    }

    [Fact]
    public void Hit_counters_count_each_rule_separately_and_restart_for_a_new_ruleset()
    {
        var first = RulesCompiler.Compile("rule big: review if amount > 100\nrule any: review if true");
        var second = RulesCompiler.Compile("rule other: review if true");
        var hits = new RuleHitCounters();
        var reasons = new List<string>();
        var context = TestInputs.NewContext();
        foreach (var amount in new[] { 50m, 150m, 200m })
        {
            context.Transaction.Amount = amount;
            first.Evaluate(context, reasons, hits);
        }

        Assert.Equal((2L, 3L, 3L), (hits.HitsOf("big"), hits.HitsOf("any"), hits.Evaluations));
        second.Evaluate(context, reasons, hits);
        Assert.Same(second, hits.Ruleset);
        Assert.Equal((1L, 0L, 1L), (hits.HitsOf("other"), hits.HitsOf("big"), hits.Evaluations));
    }

    [Fact]
    public void More_than_64_rules_report_every_match_in_file_order()
    {
        // Rules are compiled 64 to a method; matches must come back in order across those chunks.
        var text = string.Join('\n', Enumerable.Range(0, 150).Select(i => $"{(i % 10 == 3 ? "shadow " : "")}rule r{i}: review if amount == {i % 7}"));
        var ruleset = RulesCompiler.Compile(text);
        var context = TestInputs.Parse("amount=3");
        var reasons = new List<string>();
        var hits = new RuleHitCounters();

        Assert.Equal(DecisionKind.Review, ruleset.Evaluate(context, reasons, hits));

        var expected = Enumerable.Range(0, 150).Where(i => i % 7 == 3 && i % 10 != 3).Select(i => $"r{i}").ToArray();
        Assert.Equal(expected, reasons);
        Assert.Equal(1, hits.HitsOf("r143"));
        Assert.Equal(1, hits.HitsOf("r73"));
        Assert.Equal(0, hits.HitsOf("r72"));
    }

    [Fact]
    public void Evaluate_allocates_nothing_once_warm()
    {
        var ruleset = RulesCompiler.Compile(File.ReadAllText(Path.Combine(RepositoryPaths.Root(), "data/rules/default.rules")), RulesCompileOptions.Default with { BaseDirectory = Path.Combine(RepositoryPaths.Root(), "data/rules") });
        var context = TestInputs.Parse("card.count_1m=6; amount=80; card.distinct_merchants_10m=5; score=0.7; device=\"d-1\"; channel=\"ecom\"");
        var reasons = new List<string>(64);
        var hits = new RuleHitCounters();
        for (var i = 0; i < 1000; i++)
        {
            reasons.Clear();
            ruleset.Evaluate(context, reasons, hits);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            reasons.Clear();
            ruleset.Evaluate(context, reasons, hits);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.NotEmpty(reasons);
    }

    [Fact]
    public void Context_with_too_few_features_is_a_caller_error()
    {
        var ruleset = RulesCompiler.Compile("rule a: review if card.count_1m > 1");
        var context = TestInputs.NewContext();
        context.Features = new float[3];

        Assert.Throws<ArgumentException>(() => ruleset.Evaluate(context, [], null));
    }
}
