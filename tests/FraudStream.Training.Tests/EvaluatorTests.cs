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
}
