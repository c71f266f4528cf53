using FraudStream.Core.Stages;
using FraudStream.Core.Contracts;
using FraudStream.Rules.Runtime;

namespace FraudStream.Rules.Tests;

public sealed class RulesWorkerTests
{
    [Fact]
    public void Worker_decides_with_the_current_rules_and_follows_a_reload()
    {
        using var provider = RulesetProvider.FromText("rule big: review if amount > 100");
        var worker = provider.CreateWorker();
        var tx = TestInputs.NewContext().Transaction;
        tx.Amount = 500;
        var features = TestInputs.NewContext().Features;
        var reasons = new List<string>();

        Assert.Equal(DecisionKind.Review, worker.Decide(tx, features, 0.1f, 0.5f, 0.9f, reasons));
        Assert.Equal(["big"], reasons);

        Assert.True(provider.TryUpdate("rule huge: decline if amount > 100", out _));
        reasons.Clear();
        Assert.Equal(DecisionKind.Decline, worker.Decide(tx, features, 0.1f, 0.5f, 0.9f, reasons));
        Assert.Equal(["huge"], reasons);
    }

    [Fact]
    public void Hit_totals_sum_every_worker_including_shadow_rules()
    {
        using var provider = RulesetProvider.FromText("rule big: review if amount > 100\nshadow rule any: decline if true");
        var first = provider.CreateWorker();
        var second = provider.CreateWorker();
        var context = TestInputs.NewContext();
        var reasons = new List<string>();
        foreach (var (worker, amount) in new[] { (first, 500m), (first, 50m), (second, 700m) })
        {
            context.Transaction.Amount = amount;
            worker.Decide(context.Transaction, context.Features, float.NaN, 0.5f, 0.9f, reasons);
        }

        var totals = provider.HitTotals();

        Assert.Equal(new RuleHitTotal("big", DecisionKind.Review, false, 2), totals[0]);
        Assert.Equal(new RuleHitTotal("any", DecisionKind.Decline, true, 3), totals[1]);
    }

    [Fact]
    public void Recent_reload_failures_are_kept_newest_first_and_capped()
    {
        using var provider = RulesetProvider.FromText("rule a: review if amount > 1");
        for (var i = 0; i < 12; i++)
        {
            provider.TryUpdate($"rule a: review if amount > {i} and nope{i}", out _);
        }

        var failures = provider.RecentReloadFailures;

        Assert.Equal(10, failures.Count);
        Assert.Contains("nope11", failures[0].Diagnostics[0].Message, StringComparison.Ordinal);
        Assert.Contains("nope2", failures[9].Diagnostics[0].Message, StringComparison.Ordinal);
    }
}
