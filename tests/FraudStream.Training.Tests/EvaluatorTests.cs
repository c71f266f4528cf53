using System.Text.Json;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Replay;
using FraudStream.Scoring.Packaging;
using FraudStream.Training.Evaluation;
using FraudStream.Training.Metrics;
using FraudStream.Training.Modeling;

namespace FraudStream.Training.Tests;

public sealed class EvaluatorTests : IDisposable
{
    private static readonly DateTime Start = new(2026, 11, 1, 8, 0, 0, DateTimeKind.Utc);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fs-eval-" + Guid.NewGuid().ToString("N"));

    public EvaluatorTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Report_metrics_match_hand_computed_values_with_and_without_rules()
    {
        var package = new ModelPackage { ModelVersion = "hand", Thresholds = new ThresholdInfo { Review = 0.6, Decline = 0.85 } };
        float[] scores = [0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f];
        bool[] labels = [true, false, true, false, true, false];
        var txs = new List<(Transaction, float[])>();
        for (var i = 0; i < scores.Length; i++)
        {
            txs.Add((new Transaction { Id = $"t{i}", Amount = i == 4 ? 900m : 10m }, []));
        }

        // The rule declines big amounts: it catches only row 4 (a fraud the model misses at review).
        var options = new EvaluateOptions { Rules = (tx, _, _) => tx.Amount > 500m ? DecisionKind.Decline : DecisionKind.Approve };
        var report = ModelEvaluator.Measure(package, options, 0, scores, labels, txs);

        Assert.Equal(6, report.Rows);
        Assert.Equal(3, report.Frauds);
        Assert.Equal(((1.0 / 1) + (2.0 / 3) + (3.0 / 5)) / 3, report.PrAuc, 12);
        Assert.Equal(6.0 / 9, report.RocAuc, 12);
        // Review at 0.6 flags 0.9, 0.8, 0.7, 0.6: 2 frauds, 2 legit.
        Assert.Equal(0.5, report.Precision, 12);
        Assert.Equal(2.0 / 3, report.Recall, 12);
        Assert.Equal(2.0 / 3, report.Fpr, 12);
        // Decline at 0.85 flags only 0.9.
        Assert.Equal(1.0, report.Decline.Precision, 12);
        Assert.Equal(1.0 / 3, report.Decline.Recall, 12);
        Assert.Equal(1.0, report.Rules!.Precision, 12);
        Assert.Equal(1.0 / 3, report.Rules.Recall, 12);
        Assert.Equal(0.0, report.Rules.Fpr, 12);
        // Model + rules: rows 0-4 flagged: 3 frauds of 3, 2 legit of 3.
        Assert.Equal(0.6, report.ModelAndRules!.Precision, 12);
        Assert.Equal(1.0, report.ModelAndRules.Recall, 12);
        Assert.Equal(2.0 / 3, report.ModelAndRules.Fpr, 12);
    }

    [Fact]
    public void Report_json_has_the_documented_snake_case_keys()
    {
        var report = new EvaluationReport { Rows = 3, Frauds = 1, RecallAtFpr0001 = 0.25, RecallAtFpr001 = 0.5 };
        using var json = JsonDocument.Parse(report.ToJson());
        foreach (var key in new[] { "rows", "frauds", "pr_auc", "roc_auc", "recall_at_fpr_0_001", "recall_at_fpr_0_01", "precision", "recall", "fpr" })
        {
            Assert.True(json.RootElement.TryGetProperty(key, out _), key);
        }

        Assert.Equal(0.25, json.RootElement.GetProperty("recall_at_fpr_0_001").GetDouble());
        Assert.Equal(0.5, EvaluationReport.FromJson(report.ToJson()).RecallAtFpr001);
    }

    [Fact]
    public void Evaluate_warms_on_rows_before_eval_from_and_scores_the_rest_of_a_tiny_file()
    {
        var model = Path.Combine(_root, "model");
        ModelTrainer.Train(new TrainOptions { Seed = 5, Count = 20_000, NumberOfTrees = 20, Out = model }, TextWriter.Null);

        // 12 transactions an hour apart; 4 before the cut; frauds t5 and t9 (label lines), t6 explicitly legit.
        var file = Path.Combine(_root, "tiny.jsonl");
        using (var writer = JsonLinesWriter.Create(file))
        {
            for (var i = 0; i < 12; i++)
            {
                writer.WriteTransaction(new Transaction
                {
                    Id = $"t{i}", Timestamp = Start.AddHours(i), Card = $"c{i % 3}", Merchant = $"m{i % 2}", Category = "grocery",
                    Amount = 10 + i, Currency = "EUR", Country = "DE", Channel = PaymentChannel.Pos,
                });
            }

            writer.WriteLabel(new Label("t5", true, Start.AddHours(13)));
            writer.WriteLabel(new Label("t6", false, Start.AddHours(13)));
            writer.WriteLabel(new Label("t9", true, Start.AddHours(14)));
        }

        var reportPath = Path.Combine(_root, "out", "report.json");
        var report = ModelEvaluator.Evaluate(new EvaluateOptions
        {
            Model = model, File = file, Format = ReplayFormat.JsonLines,
            EvalFrom = Start.AddHours(4).ToString("O"), JsonReport = reportPath,
        });

        Assert.Equal(4, report.WarmupRows);
        Assert.Equal(8, report.Rows);
        Assert.Equal(2, report.Frauds);
        Assert.InRange(report.RocAuc, 0, 1);
        Assert.Equal(report.Rows, EvaluationReport.FromJson(File.ReadAllText(reportPath)).Rows);
    }

    [Fact]
    public void Evaluating_the_same_rows_twice_gives_the_same_report()
    {
        var scores = new float[] { 0.3f, 0.2f, 0.9f };
        var labels = new[] { false, false, true };
        var package = new ModelPackage { Thresholds = new ThresholdInfo { Review = 0.5, Decline = 0.95 } };
        var a = ModelEvaluator.Measure(package, new EvaluateOptions(), 0, scores, labels, null);
        var b = ModelEvaluator.Measure(package, new EvaluateOptions(), 0, scores, labels, null);

        Assert.Equal(a.ToJson(), b.ToJson());
        Assert.Equal(1.0, a.RecallAtFpr0001);
        Assert.Null(a.Rules);
        Assert.Equal(BinaryMetrics.RocAuc(scores, labels), a.RocAuc);
    }

    [Fact]
    public void A_simulator_world_is_measured_against_its_truth_and_against_its_published_labels()
    {
        var model = Path.Combine(_root, "model-world");
        ModelTrainer.Train(new TrainOptions { Seed = 5, Count = 20_000, NumberOfTrees = 20, Out = model }, TextWriter.Null);

        var noisy = ModelEvaluator.Evaluate(new EvaluateOptions { Model = model, SimulatorSeed = 11, SimulatorCount = 30_000, LabelNoise = 0.2, Resamples = 20 });
        Assert.Equal("truth", noisy.MeasuredAgainst);
        var labels = Assert.IsType<EvaluationReport>(noisy.AgainstLabels);
        Assert.Equal("labels", labels.MeasuredAgainst);
        Assert.Equal(noisy.Rows, labels.Rows);
        // A fifth of the labels flipped: many legitimate rows labelled fraud, some frauds not.
        Assert.NotEqual(noisy.Frauds, labels.Frauds);
        Assert.True(labels.PrAuc < noisy.PrAuc, $"labels {labels.PrAuc} truth {noisy.PrAuc}");
        Assert.NotNull(noisy.Days);
        Assert.True(noisy.Days!.Count >= 2);
        Assert.Equal(noisy.Rows, noisy.Days.Sum(d => d.Rows));
        Assert.InRange(noisy.CardPrecision, 0, noisy.CardPrecisionCeiling);
        var ci = Assert.IsType<ConfidenceReport>(noisy.Confidence);
        Assert.True(ci.PrAuc[0] <= ci.PrAuc[1]);

        // Without noise every fraud is labelled (pending labels are emitted at the end): both views agree.
        var clean = ModelEvaluator.Evaluate(new EvaluateOptions { Model = model, SimulatorSeed = 11, SimulatorCount = 30_000, LabelNoise = 0, Resamples = 0 });
        Assert.Equal(clean.Frauds, clean.AgainstLabels!.Frauds);
        Assert.Equal(clean.PrAuc, clean.AgainstLabels.PrAuc, 12);
    }

    [Fact]
    public void Rules_alone_are_measured_without_the_model_s_score_and_compared_at_equal_recall()
    {
        var package = new ModelPackage { ModelVersion = "hand", Thresholds = new ThresholdInfo { Review = 0.6, Decline = 0.85 } };
        float[] scores = [0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f];
        bool[] labels = [true, false, true, false, true, false];
        var txs = new List<(Transaction, float[])>();
        for (var i = 0; i < scores.Length; i++)
        {
            txs.Add((new Transaction { Id = $"t{i}", Amount = 10m * (i + 1) }, []));
        }

        // As the service's ruleset: a decline rule on amount 50 (row 4), a review rule on amount 20 (row 1, legit), a score
        // rule, then the thresholds; an approve rule keeps row 2 out whatever its score.
        var options = new EvaluateOptions
        {
            Rules = (tx, _, score) => tx.Amount == 30m ? DecisionKind.Approve
                : tx.Amount == 50m ? DecisionKind.Decline
                : tx.Amount == 20m ? DecisionKind.Review
                : score >= 0.85f ? DecisionKind.Decline
                : score >= 0.6f ? DecisionKind.Review : DecisionKind.Approve,
        };
        var report = ModelEvaluator.Measure(package, options, 0, scores, labels, txs);

        // Rules alone flag rows 1 and 4: one fraud of 3, one false positive.
        Assert.Equal(0.5, report.Rules!.Precision, 12);
        Assert.Equal(1.0 / 3, report.Rules.Recall, 12);
        // Equal recall: the decline (row 4) already reaches it; the model flags nothing more: 0 false positives against 1.
        var equal = report.AtRulesRecall!;
        Assert.Equal(0, equal.FalsePositives);
        Assert.Equal(1, equal.RulesFalsePositives);
        Assert.Equal(-1.0, equal.FalsePositiveChange, 12);
        Assert.Equal(1.0 / 3, equal.Recall, 12);
    }
}
