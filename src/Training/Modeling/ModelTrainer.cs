using System.Diagnostics;
using System.Globalization;
using FraudStream.Features.Schema;
using FraudStream.Ingest.Replay;
using FraudStream.Scoring.Packaging;
using FraudStream.Training.Data;
using FraudStream.Training.Metrics;
using FraudStream.Training.Progress;
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

    public static ModelPackage Train(TrainOptions options, TextWriter log) => Train(options, log, ProgressDisplay.None);

    /// <summary>
    /// Trains from the options' source. <paramref name="log"/> gets the summary lines; <paramref name="progress"/> shows
    /// the phase and rows/s while history is replayed and the trees train.
    /// </summary>
    public static ModelPackage Train(TrainOptions options, TextWriter log, ProgressDisplay progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(progress);
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException(problem);
        }

        var clock = Stopwatch.StartNew();
        if (options.Seeds is not null)
        {
            var pool = WorldPool.Build(options, log, progress);
            log.WriteLine($"features: {pool.Table.Count:N0} rows, {pool.Table.Frauds:N0} frauds from {pool.Worlds.Count} worlds ({clock.Elapsed.TotalSeconds:F1} s)");
            var pooled = Train(pool.Table, pool.TrainCount, pool.Worlds, options, pool.Description, log, progress, null);
            log.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s: {Path.GetFullPath(options.Out)}");
            return pooled;
        }

        var trainBefore = TimeBoundary.ParseOrNull(options.TrainBefore, "--train-before");
        var history = HistorySources.Open(options);
        progress.Begin("replay history through the features");
        var table = FeatureTable.Build(progress.Counting(history.Events), stopAtBoundary: trainBefore, stepOrigin: history.StepOrigin);
        progress.End();
        log.WriteLine($"features: {table.Count:N0} rows, {table.Frauds:N0} frauds ({clock.Elapsed.TotalSeconds:F1} s)");
        if (history.Stats is { } stats)
        {
            ReportBadRows(stats, log);
        }

        var package = Train(table, TrainCountOf(table, options), null, options, history.Description, log, progress, history.Stats?.Bad);
        log.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s: {Path.GetFullPath(options.Out)}");
        return package;
    }

    /// <summary>Trains on rows already computed (in time order) and writes the package to <see cref="TrainOptions.Out"/>.</summary>
    public static ModelPackage Train(FeatureTable table, TrainOptions options, string dataSource, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        return Train(table, TrainCountOf(table, options), null, options, dataSource, log, ProgressDisplay.None, null);
    }

    /// <summary>One stream's time split: the earlier rows train, the later <see cref="TrainOptions.ValidationFraction"/> validate.</summary>
    internal static int TrainCountOf(FeatureTable table, TrainOptions options) => (int)(table.Count * (1 - options.ValidationFraction));

    /// <summary>Rows [0, trainCount) train, the rest validate (pooled worlds: every world's earlier part, then every world's later part).</summary>
    private static ModelPackage Train(
        FeatureTable table, int trainCount, IReadOnlyList<WorldRows>? worlds, TrainOptions options, string dataSource, TextWriter log,
        ProgressDisplay progress, long? badRows)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
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
        var validLabels = Labels(table, trainCount, validCount);
        var candidates = ModelSearch.Candidates(Hyperparameters.Of(options), options.Search);
        var fits = new List<Fit>(candidates.Count);
        var best = 0;
        foreach (var candidate in candidates)
        {
            progress.Begin(candidates.Count == 1 ? $"train {candidate}" : $"train {fits.Count + 1}/{candidates.Count}: {candidate}");
            var fit = FitOne(candidate, table, trainCount, validCount, positiveWeight, options.Seed, validLabels, progress);
            progress.End();
            fits.Add(fit);
            if (fit.PrAuc > fits[best].PrAuc)
            {
                best = fits.Count - 1;
            }

            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"trained {candidate} on {trainCount:N0} rows ({trainFrauds:N0} frauds, positive weight {positiveWeight:F1}) in {fit.Seconds:F1} s: validation PR-AUC {fit.PrAuc:F4}"));
        }

        var picked = fits[best];
        if (fits.Count > 1)
        {
            log.WriteLine($"search: picked {best + 1}/{fits.Count}, {picked.Settings} (best validation PR-AUC)");
        }

        progress.Begin("score, export and check");
        var ml = picked.Context;
        var model = Recalibrate(ml, picked.Model, table, trainCount, validCount);
        var trainScores = ModelRows.Score(ml, model, table, 0, trainCount);
        var validScores = ModelRows.Score(ml, model, table, trainCount, validCount);
        var trainLabels = Labels(table, 0, trainCount);

        var review = BinaryMetrics.ThresholdForFpr(validScores, validLabels, options.ReviewTargetFpr);
        var decline = Math.Max(review, BinaryMetrics.ThresholdForFpr(validScores, validLabels, options.DeclineTargetFpr));
        var package = new ModelPackage
        {
            CreatedAt = DateTime.UtcNow,
            Trainer = picked.Settings.Trainer.ToString(),
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
            DataBadRows = badRows,
            Seed = options.Seed,
            TrainingWorlds = worlds?.Select(w => Record(w, table, options)).ToList(),
            Hyperparameters = Settings(picked.Settings),
            Search = fits.Count > 1 ? Record(fits, best) : null,
            TrainingMetrics = Summary(trainScores, trainLabels, review, decline),
            ValidationMetrics = Summary(validScores, validLabels, review, decline),
        };
        package.ModelVersion = string.Create(CultureInfo.InvariantCulture,
            $"{package.Trainer.ToLowerInvariant()}-{package.CreatedAt:yyyyMMdd}-{package.DataHash[..8]}");

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
            progress.End();
            log.WriteLine($"onnx export: max |p_onnx - p_mlnet| = {difference:G3} over {check} rows");
            if (difference > 1e-3)
            {
                throw new InvalidOperationException($"the ONNX export disagrees with ML.NET by {difference}");
            }
        }

        progress.End();
        package.Save(options.Out);
        var v = package.ValidationMetrics;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"validation ({validCount:N0} rows, {v["frauds"]:N0} frauds): PR-AUC {v["pr_auc"]:F4}, ROC-AUC {v["roc_auc"]:F4}, recall@0.1% {v["recall_at_fpr_0_001"]:F3}, recall@1% {v["recall_at_fpr_0_01"]:F3}; review >= {review:F4}, decline >= {decline:F4}"));
        return package;
    }

    /// <summary>Prints how many rows could not be read and the first of them with their line numbers.</summary>
    public static void ReportBadRows(ReplayStats stats, TextWriter log, int shown = 10)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(log);
        log.WriteLine($"read {stats.Transactions:N0} transactions and {stats.LabelLines:N0} label lines; {stats.Bad:N0} bad rows (skipped)");
        var first = stats.FirstBadRows;
        for (var i = 0; i < first.Count && i < shown; i++)
        {
            log.WriteLine($"  bad row {first[i]}");
        }

        if (stats.Bad > Math.Min(first.Count, shown))
        {
            log.WriteLine($"  … and {stats.Bad - Math.Min(first.Count, shown):N0} more");
        }
    }

    /// <summary>
    /// The trainers' own calibration sees the weighted training rows (positives weigh ~8×; LightGbm's is a fixed sigmoid),
    /// so its probabilities run high. A Platt calibrator fitted on the validation part, unweighted, replaces it: still
    /// one sigmoid of the trees' raw score (what the ONNX export and the tensor graph compute), monotone, so ranks,
    /// selection and thresholds at a false-positive rate pick the same rows; only the probabilities change.
    /// </summary>
    private static ITransformer Recalibrate(MLContext ml, ITransformer model, FeatureTable table, int validStart, int validCount)
    {
        var validation = model.Transform(ModelRows.TrainingView(ml, table, validStart, validCount, positiveWeight: 1f));
        var calibrator = ml.BinaryClassification.Calibrators
            .Platt(labelColumnName: ModelRows.LabelColumn, scoreColumnName: ModelRows.ScoreColumn)
            .Fit(validation);
        return model.Append(calibrator);
    }

    /// <summary>One trained candidate: its own ML.NET context (so a candidate trains exactly as it would alone), model and validation scores.</summary>
    private sealed record Fit(Hyperparameters Settings, MLContext Context, ITransformer Model, float[] ValidScores, double PrAuc, double Seconds);

    private static Fit FitOne(
        Hyperparameters settings, FeatureTable table, int trainCount, int validCount, float positiveWeight, int seed, bool[] validLabels,
        ProgressDisplay progress)
    {
        var clock = Stopwatch.StartNew();
        var ml = new MLContext(seed);
        var trainView = ModelRows.TrainingView(ml, table, 0, trainCount, positiveWeight, progress);
        var pipeline = ml.Transforms
            .ReplaceMissingValues(ModelRows.FeaturesColumn, replacementMode: MissingValueReplacingEstimator.ReplacementMode.DefaultValue)
            .Append(Trainer(ml, settings, seed));
        var model = pipeline.Fit(trainView);
        var validScores = ModelRows.Score(ml, model, table, trainCount, validCount);
        return new Fit(settings, ml, model, validScores, BinaryMetrics.AveragePrecision(validScores, validLabels), clock.Elapsed.TotalSeconds);
    }

    private static TrainingSettings Settings(Hyperparameters h) => new()
    {
        Trainer = h.Trainer.ToString(), Trees = h.Trees, Leaves = h.Leaves, LearningRate = h.LearningRate,
    };

    private static SearchRecord Record(List<Fit> fits, int picked)
    {
        var record = new SearchRecord { Metric = "validation pr_auc", Picked = picked };
        foreach (var fit in fits)
        {
            record.Candidates.Add(new SearchCandidate { Settings = Settings(fit.Settings), ValidationPrAuc = fit.PrAuc, TrainSeconds = Math.Round(fit.Seconds, 1) });
        }

        return record;
    }

    private static TrainingWorld Record(WorldRows world, FeatureTable table, TrainOptions options) => new()
    {
        Seed = world.Seed,
        World = options.World.ToString().ToLowerInvariant(),
        Description = world.Description,
        TrainingRows = world.TrainCount,
        ValidationRows = world.ValidationCount,
        Frauds = world.Frauds,
        ValidationFrauds = world.ValidationFrauds,
        ValidationFrom = table.Time(world.ValidationStart),
    };

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
            ["mean_score"] = Mean(scores),
            ["calibration_error"] = BinaryMetrics.ExpectedCalibrationError(scores, labels),
        };
    }

    private static double Mean(float[] scores)
    {
        double sum = 0;
        foreach (var score in scores)
        {
            sum += score;
        }

        return scores.Length == 0 ? 0 : sum / scores.Length;
    }

    private static IEstimator<ITransformer> Trainer(MLContext ml, Hyperparameters options, int seed) => options.Trainer switch
    {
        TrainerKind.LightGbm => ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            LabelColumnName = ModelRows.LabelColumn,
            FeatureColumnName = ModelRows.FeaturesColumn,
            ExampleWeightColumnName = ModelRows.WeightColumn,
            NumberOfIterations = options.Trees,
            NumberOfLeaves = options.Leaves,
            LearningRate = options.LearningRate,
            Seed = seed,
            NumberOfThreads = 1,
            Verbose = false,
            Silent = true,
        }),
        _ => ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            LabelColumnName = ModelRows.LabelColumn,
            FeatureColumnName = ModelRows.FeaturesColumn,
            ExampleWeightColumnName = ModelRows.WeightColumn,
            NumberOfTrees = options.Trees,
            NumberOfLeaves = options.Leaves,
            LearningRate = options.LearningRate,
            MinimumExampleCountPerLeaf = 20,
            Seed = seed,
            FeatureSelectionSeed = seed,
            NumberOfThreads = 1,
        }),
    };
}
