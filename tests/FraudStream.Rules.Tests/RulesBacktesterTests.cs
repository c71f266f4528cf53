using System.Text.Json;
using FraudStream.Rules.Backtesting;
using FraudStream.Rules.Compilation;

namespace FraudStream.Rules.Tests;

public sealed class RulesBacktesterTests
{
    private static BacktestRow Row(decimal amount, float score, bool? fraud, float count1m = float.NaN)
    {
        var context = TestInputs.NewContext();
        context.Transaction.Amount = amount;
        context.Features[Features.Schema.FeatureSchema.IndexOf("card.count_1m")] = count1m;
        return new BacktestRow(context.Transaction, context.Features, score, fraud);
    }

    private static readonly BacktestOptions Thresholds = new(0.5f, 0.9f);

    private static List<BacktestRow> Rows() =>
    [
        Row(1000, 0.1f, true),                 // big: hit, fraud
        Row(2000, 0.1f, false),                // big: hit, legit
        Row(10, 0.95f, true, count1m: 6),      // velocity hit, fraud; model would decline too
        Row(10, 0.1f, false),                  // nothing
        Row(5000, 0.1f, null),                 // big: hit, unlabeled
    ];

    [Fact]
    public void Report_counts_hits_precision_and_recall_per_rule()
    {
        var candidate = RulesCompiler.Compile("rule big: review if amount > 500\nrule velocity: decline if card.count_1m >= 5\nshadow rule tiny: decline if amount < 20");

        var report = RulesBacktester.Run(Rows(), candidate, null, Thresholds);

        Assert.Equal((5L, 4L, 2L), (report.Transactions, report.Labeled, report.Frauds));
        var big = report.Rules.Single(r => r.Name == "big");
        Assert.Equal((3L, 2L, 1L, 0.5, 0.5), (big.Hits, big.LabeledHits, big.FraudHits, big.Precision, big.Recall));
        var velocity = report.Rules.Single(r => r.Name == "velocity");
        Assert.Equal((1L, 1L, 1.0, 0.5), (velocity.Hits, velocity.FraudHits, velocity.Precision, velocity.Recall));
        var tiny = report.Rules.Single(r => r.Name == "tiny");
        Assert.True(tiny.Shadow);
        Assert.Equal((2L, 1L), (tiny.Hits, tiny.FraudHits));
        Assert.Equal(new DecisionCounts(1, 3, 1), report.Decisions);
        // Flagged and labeled: rows 1, 2, 3; frauds among them: rows 1 and 3.
        Assert.Equal(2.0 / 3, report.Precision!.Value, 5);
        Assert.Equal(1.0, report.Recall);
        Assert.Null(report.ChangedDecisions);
    }

    [Fact]
    public void Report_counts_decisions_that_change_against_the_current_rules()
    {
        var current = RulesCompiler.Compile("rule huge: decline if amount > 1500");
        var candidate = RulesCompiler.Compile("rule big: review if amount > 500");

        var report = RulesBacktester.Run(Rows(), candidate, current, Thresholds);

        // Current: 2000 and 5000 decline, row 3 declined by the model; candidate: three reviews, row 3 still the model's decline.
        Assert.Equal(new DecisionCounts(2, 0, 3), report.CurrentDecisions);
        Assert.Equal(new DecisionCounts(1, 3, 1), report.Decisions);
        Assert.Equal(3, report.ChangedDecisions);
        Assert.Contains(new DecisionChange("decline", "review", 2), report.Changes);
        Assert.Contains(new DecisionChange("approve", "review", 1), report.Changes);
        Assert.Equal(1, report.ModelDecisions);
        Assert.Equal(current.Version, report.CurrentVersion);
        // Flagged and labeled: current rows 2 (legit) and 3 (fraud); candidate rows 1 and 3 (fraud) and 2 (legit).
        Assert.Equal(0.5, report.CurrentPrecision);
        Assert.Equal(0.5, report.CurrentRecall);
        Assert.Equal(2.0 / 3, report.Precision!.Value, 5);
        Assert.Equal(1.0, report.Recall);
    }

    [Fact]
    public void Report_serializes_to_json_with_snake_case_keys_and_back()
    {
        var candidate = RulesCompiler.Compile("rule big: review if amount > 500");
        var report = RulesBacktester.Run(Rows(), candidate, candidate, Thresholds);

        var json = report.ToJson();
        using var doc = JsonDocument.Parse(json);

        Assert.Equal(0, doc.RootElement.GetProperty("changed_decisions").GetInt64());
        Assert.Equal(1, doc.RootElement.GetProperty("rules")[0].GetProperty("fraud_hits").GetInt64());
        Assert.Equal(candidate.Version, doc.RootElement.GetProperty("candidate_version").GetString());
        var back = BacktestReport.FromJson(json)!;
        Assert.Equal(report.Decisions, back.Decisions);
        Assert.Equal(report.Rules[0], back.Rules[0]);
    }

    [Fact]
    public void Text_report_lists_every_rule()
    {
        var candidate = RulesCompiler.Compile("rule big: review if amount > 500\nshadow rule s: decline if false");
        using var output = new StringWriter();

        RulesBacktester.Run(Rows(), candidate, null, Thresholds).WriteText(output);

        Assert.Contains("big", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("s (shadow)", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Precision_is_undefined_without_labeled_hits()
    {
        var candidate = RulesCompiler.Compile("rule never: decline if false");

        var report = RulesBacktester.Run([Row(1, 0.1f, null)], candidate, null, Thresholds);

        Assert.Null(report.Rules[0].Precision);
        Assert.Null(report.Rules[0].Recall);
        Assert.Equal(new DecisionCounts(1, 0, 0), report.Decisions);
        Assert.Null(report.Precision);
    }
}
