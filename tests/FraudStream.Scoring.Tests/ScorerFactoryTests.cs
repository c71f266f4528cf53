using FraudStream.Features.Schema;
using FraudStream.Scoring.Packaging;
using FraudStream.Scoring.Runtime;

namespace FraudStream.Scoring.Tests;

public sealed class ScorerFactoryTests(TrainedModels models) : IClassFixture<TrainedModels>
{
    private static readonly bool GpuPresent = File.Exists("/dev/nvidiactl") || File.Exists("/dev/nvidia0");

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(64)]
    [InlineData(300)]
    public void Cpu_tensor_scorer_matches_the_trees_for_any_row_count_including_more_than_the_max_batch(int rows)
    {
        using var scorer = ScorerFactory.Create(models.LightGbmPackage,
            new ScoringOptions { Device = ScoringDevice.Cpu, Graph = ScoringGraph.Tensor, MaxBatchSize = 128 }, new TestLogger());
        var matrix = TrainedModels.EvaluationMatrix(models.LightGbm, seed: rows);
        var probabilities = new float[rows];
        scorer.Score(matrix, rows, probabilities);

        Assert.Equal("cpu", scorer.Device);
        Assert.Equal("lightgbm-test", scorer.ModelVersion);
        for (var r = 0; r < rows; r++)
        {
            var expected = models.LightGbm.Probability(matrix.AsSpan(r * FeatureSchema.Count, FeatureSchema.Count));
            Assert.True(Math.Abs(expected - probabilities[r]) <= 1e-6, $"row {r}: {probabilities[r]} vs {expected}");
        }
    }

    [Fact]
    public void Auto_device_falls_back_to_the_CPU_with_a_warning_when_CUDA_cannot_start_as_on_CI_which_has_no_GPU()
    {
        var logger = new TestLogger();
        using var scorer = ScorerFactory.Create(models.FastTreePackage, new ScoringOptions { Device = ScoringDevice.Auto, MaxBatchSize = 16 }, logger);

        if (GpuPresent)
        {
            Assert.Equal("cuda", scorer.Device);
        }
        else
        {
            Assert.Equal("cpu", scorer.Device);
            Assert.True(logger.Warned("CUDA is unavailable"), "no GPU here (CI has none): expected the CPU fallback warning");
        }
    }

    [Fact]
    public void Explicit_cuda_device_without_a_GPU_also_scores_on_the_CPU_and_warns_as_on_CI_which_has_no_GPU()
    {
        var logger = new TestLogger();
        using var scorer = ScorerFactory.Create(models.FastTreePackage, new ScoringOptions { Device = ScoringDevice.Cuda, MaxBatchSize = 4 }, logger);
        var probabilities = new float[1];
        scorer.Score(new float[FeatureSchema.Count], 1, probabilities);

        Assert.Equal(GpuPresent ? "cuda" : "cpu", scorer.Device);
        Assert.Equal(GpuPresent, !logger.Warned("CUDA is unavailable"));
        Assert.InRange(probabilities[0], 0f, 1f);
    }

    [Fact]
    public void TreeEnsemble_export_from_MLNET_scores_on_the_CPU_close_to_the_trees()
    {
        using var scorer = ScorerFactory.Create(models.FastTreePackage,
            new ScoringOptions { Device = ScoringDevice.Cpu, Graph = ScoringGraph.TreeEnsemble, MaxBatchSize = 32 }, new TestLogger());
        var matrix = TrainedModels.Synthetic(50, seed: 5, withMissing: false).SelectMany(r => r.Features).ToArray();
        var probabilities = new float[50];
        scorer.Score(matrix, 50, probabilities);

        Assert.Contains("tree_ensemble", scorer.Description, StringComparison.Ordinal);
        for (var r = 0; r < 50; r++)
        {
            Assert.Equal(models.FastTree.Probability(matrix.AsSpan(r * FeatureSchema.Count, FeatureSchema.Count)), probabilities[r], 1e-5f);
        }
    }

    [Fact]
    public void Auto_graph_on_the_CPU_measures_both_graphs_and_keeps_one_that_scores_correctly()
    {
        var logger = new TestLogger();
        using var scorer = ScorerFactory.Create(models.FastTreePackage,
            new ScoringOptions { Device = ScoringDevice.Cpu, Graph = ScoringGraph.Auto, MaxBatchSize = 32 }, logger);
        var row = TrainedModels.Synthetic(1, seed: 3, withMissing: false)[0].Features;
        var probability = new float[1];
        scorer.Score(row, 1, probability);

        Assert.Contains(logger.Entries, e => e.Message.StartsWith("CPU graph: tensor", StringComparison.Ordinal));
        Assert.Equal(models.FastTree.Probability(row), probability[0], 1e-5f);
    }

    [Fact]
    public void Missing_package_directory_is_reported_as_missing()
    {
        var error = Assert.Throws<ModelPackageException>(() =>
            ScorerFactory.Create(Path.Combine(models.Directory, "nowhere"), new ScoringOptions(), new TestLogger()));
        Assert.Equal(ModelPackageProblem.Missing, error.Problem);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_manifest_is_reported_as_corrupt()
    {
        var dir = CopyPackage(models.FastTreePackage, "corrupt-manifest");
        File.WriteAllText(Path.Combine(dir, ModelPackage.ManifestFileName), "{ not json");

        var ok = ScorerFactory.TryCreate(dir, new ScoringOptions(), new TestLogger(), out var scorer, out var error);

        Assert.False(ok);
        Assert.Null(scorer);
        Assert.Contains("unreadable model.json", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_onnx_file_is_reported_as_corrupt_not_as_a_CUDA_failure()
    {
        var dir = CopyPackage(models.FastTreePackage, "corrupt-onnx");
        File.WriteAllBytes(Path.Combine(dir, "model.tensor.onnx"), [1, 2, 3, 4, 5, 6, 7, 8]);

        var error = Assert.Throws<ModelPackageException>(() =>
            ScorerFactory.Create(dir, new ScoringOptions { Device = ScoringDevice.Cpu, Graph = ScoringGraph.Tensor }, new TestLogger()));
        Assert.Equal(ModelPackageProblem.Corrupt, error.Problem);
        Assert.Contains("not a loadable ONNX model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Package_trained_on_other_feature_names_is_rejected_with_the_first_difference()
    {
        var dir = CopyPackage(models.FastTreePackage, "renamed-feature");
        var manifest = ModelPackage.Load(dir);
        manifest.FeatureSchema.Names[2] = "tx.something_else";
        manifest.Save(dir);

        var error = Assert.Throws<ModelPackageException>(() => ScorerFactory.Create(dir, new ScoringOptions(), new TestLogger()));
        Assert.Equal(ModelPackageProblem.SchemaMismatch, error.Problem);
        Assert.Contains($"feature 2 is 'tx.something_else', the running schema has '{FeatureSchema.Names[2]}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Package_of_another_schema_version_or_feature_count_is_rejected()
    {
        var dir = CopyPackage(models.FastTreePackage, "old-schema");
        var manifest = ModelPackage.Load(dir);
        manifest.FeatureSchema.Version = "fs-features-v0";
        manifest.Save(dir);
        Assert.Equal(ModelPackageProblem.SchemaMismatch,
            Assert.Throws<ModelPackageException>(() => ScorerFactory.Create(dir, new ScoringOptions(), new TestLogger())).Problem);

        manifest.FeatureSchema.Version = FeatureSchema.Version;
        manifest.FeatureSchema.Names.RemoveAt(0);
        manifest.Save(dir);
        var error = Assert.Throws<ModelPackageException>(() => ScorerFactory.Create(dir, new ScoringOptions(), new TestLogger()));
        Assert.Contains($"has {FeatureSchema.Count - 1} features", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Onnx_graph_of_another_feature_width_is_rejected_even_when_the_manifest_matches()
    {
        var dir = CopyPackage(models.FastTreePackage, "narrow-graph");
        var narrow = new FraudStream.Scoring.Trees.TreeEnsembleModel { FeatureCount = 10, Trees = [CompiledGraphFidelityTests.Stump()] };
        File.WriteAllBytes(Path.Combine(dir, "model.tensor.onnx"), FraudStream.Training.Compilation.TensorGraphCompiler.CompileToBytes(narrow));

        var error = Assert.Throws<ModelPackageException>(() =>
            ScorerFactory.Create(dir, new ScoringOptions { Device = ScoringDevice.Cpu, Graph = ScoringGraph.Tensor }, new TestLogger()));
        Assert.Equal(ModelPackageProblem.SchemaMismatch, error.Problem);
        Assert.Contains($"no float input of shape [N, {FeatureSchema.Count}]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Buckets_are_powers_of_two_up_to_the_max_batch()
    {
        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 100], OrtModelScorer.BucketsFor(100));
        Assert.Equal([1], OrtModelScorer.BucketsFor(1));
    }

    internal static string CopyPackage(string source, string name)
    {
        var target = Path.Combine(Path.GetDirectoryName(source)!, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }
}
