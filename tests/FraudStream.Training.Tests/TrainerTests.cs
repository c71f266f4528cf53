using FraudStream.Features.Schema;
using FraudStream.Scoring.Packaging;
using FraudStream.Training.Modeling;

namespace FraudStream.Training.Tests;

public sealed class TrainerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fs-train-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private TrainOptions Small(string name, int seed = 3) => new()
    {
        Source = TrainingSource.Simulator,
        Seed = seed,
        Count = 30_000,
        NumberOfTrees = 30,
        Out = Path.Combine(_root, name),
    };

    [Fact]
    public void Training_is_deterministic_by_seed()
    {
        var a = ModelTrainer.Train(Small("a"), TextWriter.Null);
        var b = ModelTrainer.Train(Small("b"), TextWriter.Null);

        Assert.Equal(a.DataHash, b.DataHash);
        Assert.Equal(a.Thresholds.Review, b.Thresholds.Review);
        Assert.Equal(a.Thresholds.Decline, b.Thresholds.Decline);
        Assert.Equal(a.ValidationMetrics["pr_auc"], b.ValidationMetrics["pr_auc"]);
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(_root, "a", a.Files.OnnxTreeEnsemble)),
            File.ReadAllBytes(Path.Combine(_root, "b", b.Files.OnnxTreeEnsemble)));
    }

    [Fact]
    public void A_different_seed_gives_different_data()
    {
        var a = ModelTrainer.Train(Small("a", seed: 3), TextWriter.Null);
        var c = ModelTrainer.Train(Small("c", seed: 4), TextWriter.Null);

        Assert.NotEqual(a.DataHash, c.DataHash);
    }

    [Fact]
    public void The_package_round_trips_and_its_onnx_export_matches_mlnet()
    {
        var options = Small("p");
        var trained = ModelTrainer.Train(options, TextWriter.Null);
        var loaded = ModelPackage.Load(options.Out);

        Assert.Equal(trained.ModelVersion, loaded.ModelVersion);
        Assert.Equal(FeatureSchema.Version, loaded.FeatureSchema.Version);
        Assert.Equal(FeatureSchema.Names, loaded.FeatureSchema.Names);
        Assert.Equal(trained.Thresholds.Review, loaded.Thresholds.Review);
        Assert.Equal(trained.Thresholds.Decline, loaded.Thresholds.Decline);
        Assert.Equal(trained.DataHash, loaded.DataHash);
        Assert.Equal(trained.ValidationMetrics["roc_auc"], loaded.ValidationMetrics["roc_auc"]);
        Assert.True(File.Exists(Path.Combine(options.Out, loaded.Files.Mlnet)));
        Assert.True(File.Exists(Path.Combine(options.Out, loaded.Files.OnnxTreeEnsemble)));
        Assert.InRange(loaded.ValidationMetrics["onnx_max_abs_diff"], 0, 1e-4);
        Assert.InRange(loaded.Thresholds.Review, 0, 1);
        Assert.True(loaded.Thresholds.Decline >= loaded.Thresholds.Review);
        // The simulator's fraud is learnable: far better than chance on the later, unseen part.
        Assert.True(loaded.ValidationMetrics["roc_auc"] > 0.8, $"roc_auc {loaded.ValidationMetrics["roc_auc"]}");
    }

    [Fact]
    public void LightGbm_trains_a_package_whose_onnx_export_matches_mlnet()
    {
        var options = new TrainOptions
        {
            Seed = 3, Count = 30_000, NumberOfTrees = 30, Trainer = TrainerKind.LightGbm, Out = Path.Combine(_root, "lgbm"),
        };
        var package = ModelTrainer.Train(options, TextWriter.Null);

        Assert.Equal("LightGbm", ModelPackage.Load(options.Out).Trainer);
        Assert.InRange(package.ValidationMetrics["onnx_max_abs_diff"], 0, 1e-4);
        Assert.True(package.ValidationMetrics["roc_auc"] > 0.8, $"roc_auc {package.ValidationMetrics["roc_auc"]}");
    }
    [Fact]
    public void Auto_trains_fasttree_and_lightgbm_alike_and_keeps_the_better_on_the_later_validation_part()
    {
        var options = new TrainOptions { Seed = 3, Count = 30_000, NumberOfTrees = 30, Trainer = TrainerKind.Auto, Out = Path.Combine(_root, "auto") };
        var package = ModelTrainer.Train(options, TextWriter.Null);

        var search = ModelPackage.Load(options.Out).Search;
        Assert.NotNull(search);
        Assert.Equal(["FastTree", "LightGbm"], search.Candidates.Select(c => c.Settings.Trainer));
        Assert.All(search.Candidates, c => Assert.Equal((30, 24, 0.1), (c.Settings.Trees, c.Settings.Leaves, c.Settings.LearningRate)));
        var best = search.Candidates[1].ValidationPrAuc > search.Candidates[0].ValidationPrAuc ? 1 : 0;
        Assert.Equal(best, search.Picked);
        Assert.Equal(search.Candidates[best].Settings.Trainer, package.Trainer);
        Assert.Equal(search.Candidates[best].ValidationPrAuc, package.ValidationMetrics["pr_auc"], 6); // recalibration keeps the ranking
    }

    [Fact]
    public void A_search_with_auto_tries_every_step_with_both_trainers_in_a_fixed_order()
    {
        var candidates = ModelSearch.Candidates(new Hyperparameters(TrainerKind.Auto, 200, 24, 0.1), 3);

        Assert.Equal(
            [
                new(TrainerKind.FastTree, 200, 24, 0.1), new(TrainerKind.LightGbm, 200, 24, 0.1),
                new(TrainerKind.FastTree, 400, 24, 0.05), new(TrainerKind.LightGbm, 400, 24, 0.05),
                new(TrainerKind.FastTree, 200, 48, 0.1), new(TrainerKind.LightGbm, 200, 48, 0.1),
            ],
            candidates);
        Assert.All(ModelSearch.Candidates(new Hyperparameters(TrainerKind.LightGbm, 200, 24, 0.1), 3), c => Assert.Equal(TrainerKind.LightGbm, c.Trainer));
    }
    [Fact]
    public void Probabilities_are_recalibrated_on_the_unweighted_validation_part()
    {
        // Positives weigh (negatives / positives)^0.5 in training, ~9x here: uncorrected, the mean score is a multiple of the fraud share.
        var options = Small("calibrated");
        var package = ModelTrainer.Train(options, TextWriter.Null);

        var validation = package.ValidationMetrics;
        var fraudShare = validation["frauds"] / validation["rows"];
        Assert.InRange(validation["mean_score"] / fraudShare, 0.8, 1.25);
        Assert.InRange(validation["calibration_error"], 0, 0.25 * fraudShare);
        // (The tensor graph computes the same sigmoid: TrainedPackageFidelityTests compares it with model.zip.)

    }
}
