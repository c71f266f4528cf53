using FraudStream.Core.Contracts;
using FraudStream.Scoring.Packaging;
using FraudStream.Training.Data;
using FraudStream.Training.Metrics;
using FraudStream.Training.Modeling;
using Microsoft.ML;

namespace FraudStream.Training.Evaluation;

/// <summary>
/// <c>fraudstream evaluate</c>: replays a labelled file through the feature engine, scores the rows from
/// <see cref="EvaluateOptions.EvalFrom"/> on with the package's ML.NET model (the source of truth) and
/// measures them against their labels.
/// </summary>
public static class ModelEvaluator
{
    public static EvaluationReport Evaluate(EvaluateOptions options, TextWriter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var history = HistorySources.File(options.Format, options.File);
        var evalFrom = TimeBoundary.ParseOrNull(options.EvalFrom, "--eval-from");
        var transactions = options.Rules is null ? null : new List<(Transaction Tx, float[] Features)>();
        var table = FeatureTable.Build(history.Events, recordFromBoundary: evalFrom,
            onRow: transactions is null ? null : (_, tx, features) => transactions.Add((tx, (float[])features.Clone())),
            stepOrigin: history.StepOrigin);
        progress?.WriteLine($"replayed {table.WarmupRows + table.Count:N0} transactions; scoring {table.Count:N0}");

        var report = Evaluate(options, table, transactions);
        progress?.Write(report.ToText());
        if (!string.IsNullOrEmpty(options.JsonReport))
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(options.JsonReport));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            System.IO.File.WriteAllText(options.JsonReport, report.ToJson());
        }

        return report;
    }

    /// <summary>Scores all rows of <paramref name="table"/> with the package and reports.</summary>
    public static EvaluationReport Evaluate(EvaluateOptions options, FeatureTable table, IReadOnlyList<(Transaction Tx, float[] Features)>? transactions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(table);
        var package = ModelPackage.Load(options.Model);
        var scores = Score(options.Model, package, table);
        var labels = ModelTrainer.Labels(table, 0, table.Count);
        return Measure(package, options, table.WarmupRows, scores, labels, transactions);
    }

    /// <summary>Calibrated probabilities of every row, from the package's model.zip.</summary>
    public static float[] Score(string modelDirectory, ModelPackage package, FeatureTable table)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(table);
        var ml = new MLContext(package.Seed);
        var model = ml.Model.Load(Path.Combine(modelDirectory, package.Files.Mlnet), out _);
        return ModelRows.Score(ml, model, table, 0, table.Count);
    }

    internal static EvaluationReport Measure(
        ModelPackage package, EvaluateOptions options, long warmupRows, float[] scores, bool[] labels,
        IReadOnlyList<(Transaction Tx, float[] Features)>? transactions)
    {
        var review = package.Thresholds.Review;
        var decline = package.Thresholds.Decline;
        var atReview = BinaryMetrics.At(scores, labels, review);
        var atDecline = BinaryMetrics.At(scores, labels, decline);
        DecisionMetrics? rules = null;
        DecisionMetrics? combined = null;
        if (options.Rules is { } decide && transactions is not null)
        {
            var ruleFlags = new bool[scores.Length];
            var combinedFlags = new bool[scores.Length];
            for (var i = 0; i < scores.Length; i++)
            {
                var ruleDecision = decide(transactions[i].Tx, transactions[i].Features, scores[i]);
                ruleFlags[i] = ruleDecision != DecisionKind.Approve;
                combinedFlags[i] = ruleFlags[i] || scores[i] >= review;
            }

            rules = Decision(BinaryMetrics.OfFlags(ruleFlags, labels));
            combined = Decision(BinaryMetrics.OfFlags(combinedFlags, labels));
        }

        return new EvaluationReport
        {
            ModelVersion = package.ModelVersion,
            File = Path.GetFileName(options.File),
            EvalFrom = options.EvalFrom,
            WarmupRows = warmupRows,
            Rows = scores.Length,
            Frauds = atReview.Positives,
            PrAuc = BinaryMetrics.AveragePrecision(scores, labels),
            RocAuc = BinaryMetrics.RocAuc(scores, labels),
            RecallAtFpr0001 = BinaryMetrics.RecallAtFpr(scores, labels, 0.001),
            RecallAtFpr001 = BinaryMetrics.RecallAtFpr(scores, labels, 0.01),
            ReviewThreshold = review,
            DeclineThreshold = decline,
            Precision = atReview.Precision,
            Recall = atReview.Recall,
            Fpr = atReview.FalsePositiveRate,
            Decline = Decision(atDecline),
            Rules = rules,
            ModelAndRules = combined,
        };
    }

    private static DecisionMetrics Decision(ThresholdMetrics m) => new()
    {
        Precision = m.Precision,
        Recall = m.Recall,
        Fpr = m.FalsePositiveRate,
        Flagged = m.TruePositives + m.FalsePositives,
    };
}
