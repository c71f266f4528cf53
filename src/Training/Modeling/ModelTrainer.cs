using System.Diagnostics;
using System.Globalization;
using FraudStream.Features.Schema;
using FraudStream.Scoring.Packaging;
using FraudStream.Training.Data;
using FraudStream.Training.Metrics;
using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;

namespace FraudStream.Training.Modeling;

/// <summary>
/// <c>fraudstream train</c>: replays history through the feature engine, trains a calibrated boosted-tree
/// classifier on the earlier part, picks thresholds on the later part, and writes a model package.
/// </summary>
public static class ModelTrainer
{
    public const string MlnetFileName = "model.zip";
    public const string OnnxFileName = "model.cpu.onnx";

    public static ModelPackage Train(TrainOptions options, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        var clock = Stopwatch.StartNew();
        var trainBefore = TimeBoundary.ParseOrNull(options.TrainBefore, "--train-before");
        var history = HistorySources.Open(options.Source, options.File, options.Seed, options.Count);
        var table = FeatureTable.Build(history.Events, stopAtBoundary: trainBefore, stepOrigin: history.StepOrigin);
        progress.WriteLine($"features: {table.Count:N0} rows, {table.Frauds:N0} frauds ({clock.Elapsed.TotalSeconds:F1} s)");
        var package = Train(table, options, history.Description, progress);
        progress.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s: {Path.GetFullPath(options.Out)}");
        return package;
    }

    /// <summary>Trains on rows already computed (in time order) and writes the package to <see cref="TrainOptions.Out"/>.</summary>
    public static ModelPackage Train(FeatureTable table, TrainOptions options, string dataSource, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        var trainCount = (int)(table.Count * (1 - options.ValidationFraction));
        var validCount = table.Count - trainCount;
        if (trainCount < 100 || validCount < 100)
        {
            throw new InvalidOperationException($"too few rows to train and validate: {table.Count}");
        }

        var trainFrauds = 0;
        for (var i = 0; i < trainCount; i++)
        {
            trainFrauds += table.Label(i) ? 1 : 0;
        }

        if (trainFrauds == 0)
        {
            throw new InvalidOperationException("no fraud in the training part");
        }

        var positiveWeight = (float)Math.Pow((double)(trainCount - trainFrauds) / trainFrauds, options.ImbalancePower);
        var ml = new MLContext(options.Seed);
        var trainView = ModelRows.TrainingView(ml, table, 0, trainCount, positiveWeight);

        var clock = Stopwatch.StartNew();
        var pipeline = ml.Transforms
            .ReplaceMissingValues(ModelRows.FeaturesColumn, replacementMode: MissingValueReplacingEstimator.ReplacementMode.DefaultValue)
            .Append(Trainer(ml, options));
        var model = pipeline.Fit(trainView);
        progress.WriteLine($"trained {options.Trainer} on {trainCount:N0} rows ({trainFrauds:N0} frauds, positive weight {positiveWeight:F1}) in {clock.Elapsed.TotalSeconds:F1} s");

        var trainScores = ModelRows.Score(ml, model, table, 0, trainCount);
        var validScores = ModelRows.Score(ml, model, table, trainCount, validCount);
        var trainLabels = Labels(table, 0, trainCount);
        var validLabels = Labels(table, trainCount, validCount);

        var review = BinaryMetrics.ThresholdForFpr(validScores, validLabels, options.ReviewTargetFpr);
        var decline = Math.Max(review, BinaryMetrics.ThresholdForFpr(validScores, validLabels, options.DeclineTargetFpr));
        var package = new ModelPackage
        {
            CreatedAt = DateTime.UtcNow,
            Trainer = options.Trainer.ToString(),
            FeatureSchema = new FeatureSchemaInfo { Version = FeatureSchema.Version, Names = [.. FeatureSchema.Names] },
            Thresholds = new ThresholdInfo
            {
                Review = review,
                Decline = decline,
                ReviewTargetFpr = options.ReviewTargetFpr,
                DeclineTargetFpr = options.DeclineTargetFpr,
            },
            DataSource = dataSource,
            DataHash = table.Hash(0, table.Count),
            Seed = options.Seed,
            TrainingMetrics = Summary(trainScores, trainLabels, review, decline),
            ValidationMetrics = Summary(validScores, validLabels, review, decline),
        };
        package.ModelVersion = string.Create(CultureInfo.InvariantCulture,
            $"{options.Trainer.ToString().ToLowerInvariant()}-{package.CreatedAt:yyyyMMdd}-{package.DataHash[..8]}");

        Directory.CreateDirectory(options.Out);
        var scoringView = ModelRows.ScoringView(ml, table, trainCount, Math.Min(validCount, 1024));
        ml.Model.Save(model, scoringView.Schema, Path.Combine(options.Out, MlnetFileName));
        package.Files = new PackageFiles { Mlnet = MlnetFileName, OnnxTreeEnsemble = OnnxFileName };
        if (options.ExportOnnx)
        {
            var onnxPath = Path.Combine(options.Out, OnnxFileName);
            using (var stream = File.Create(onnxPath))
            {
                ml.Model.ConvertToOnnx(model, scoringView, stream);
            }

            var check = Math.Min(validCount, 1024);
            var difference = OnnxCheck.MaxAbsoluteDifference(onnxPath, table, trainCount, check, validScores.AsSpan(0, check));
            package.ValidationMetrics["onnx_max_abs_diff"] = difference;
            progress.WriteLine($"onnx export: max |p_onnx - p_mlnet| = {difference:G3} over {check} rows");
            if (difference > 1e-3)
            {
                throw new InvalidOperationException($"the ONNX export disagrees with ML.NET by {difference}");
            }
        }

        package.Save(options.Out);
        var v = package.ValidationMetrics;
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"validation ({validCount:N0} rows, {v["frauds"]:N0} frauds): PR-AUC {v["pr_auc"]:F4}, ROC-AUC {v["roc_auc"]:F4}, recall@0.1% {v["recall_at_fpr_0_001"]:F3}, recall@1% {v["recall_at_fpr_0_01"]:F3}; review >= {review:F4}, decline >= {decline:F4}"));
        return package;
    }

    internal static bool[] Labels(FeatureTable table, int start, int count)
    {
        var labels = new bool[count];
        for (var i = 0; i < count; i++)
        {
            labels[i] = table.Label(start + i);
        }

        return labels;
    }

    private static Dictionary<string, double> Summary(float[] scores, bool[] labels, double review, double decline)
    {
        var atReview = BinaryMetrics.At(scores, labels, review);
        var atDecline = BinaryMetrics.At(scores, labels, decline);
        return new Dictionary<string, double>
        {
            ["rows"] = scores.Length,
            ["frauds"] = atReview.Positives,
            ["pr_auc"] = BinaryMetrics.AveragePrecision(scores, labels),
            ["roc_auc"] = BinaryMetrics.RocAuc(scores, labels),
            ["recall_at_fpr_0_001"] = BinaryMetrics.RecallAtFpr(scores, labels, 0.001),
            ["recall_at_fpr_0_01"] = BinaryMetrics.RecallAtFpr(scores, labels, 0.01),
            ["review_precision"] = atReview.Precision,
            ["review_recall"] = atReview.Recall,
            ["review_fpr"] = atReview.FalsePositiveRate,
            ["decline_precision"] = atDecline.Precision,
            ["decline_recall"] = atDecline.Recall,
            ["decline_fpr"] = atDecline.FalsePositiveRate,
        };
    }

    private static IEstimator<ITransformer> Trainer(MLContext ml, TrainOptions options) => options.Trainer switch
    {
        TrainerKind.LightGbm => ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            LabelColumnName = ModelRows.LabelColumn,
            FeatureColumnName = ModelRows.FeaturesColumn,
            ExampleWeightColumnName = ModelRows.WeightColumn,
            NumberOfIterations = options.NumberOfTrees,
            NumberOfLeaves = options.NumberOfLeaves,
            LearningRate = options.LearningRate,
            Seed = options.Seed,
            NumberOfThreads = 1,
            Verbose = false,
            Silent = true,
        }),
        _ => ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            LabelColumnName = ModelRows.LabelColumn,
            FeatureColumnName = ModelRows.FeaturesColumn,
            ExampleWeightColumnName = ModelRows.WeightColumn,
            NumberOfTrees = options.NumberOfTrees,
            NumberOfLeaves = options.NumberOfLeaves,
            LearningRate = options.LearningRate,
            MinimumExampleCountPerLeaf = 20,
            Seed = options.Seed,
            FeatureSelectionSeed = options.Seed,
            NumberOfThreads = 1,
        }),
    };
}
