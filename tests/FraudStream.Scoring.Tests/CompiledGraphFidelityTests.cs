using Microsoft.ML;
using FraudStream.Scoring.Trees;
using FraudStream.Training.Compilation;
using FraudStream.Training.Compilation.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FraudStream.Scoring.Tests;

public sealed class CompiledGraphFidelityTests(TrainedModels models) : IClassFixture<TrainedModels>
{
    private const double Tolerance = 1e-6;

    [Theory]
    [InlineData("fasttree", TreeGraphStrategy.Gemm)]
    [InlineData("fasttree", TreeGraphStrategy.TreeTraversal)]
    [InlineData("lightgbm", TreeGraphStrategy.Gemm)]
    [InlineData("lightgbm", TreeGraphStrategy.TreeTraversal)]
    public void Compiled_graph_matches_MLNET_within_1e6_on_10000_rows_with_NaN_inf_and_thresholds_on_the_CPU_provider(
        string trainer, TreeGraphStrategy strategy)
    {
        var (package, trees) = Pick(trainer);
        var matrix = TrainedModels.EvaluationMatrix(trees, seed: 23);
        var expected = TrainedModels.MlNetProbabilities(package, matrix);
        var actual = RunOnCpu(TensorGraphCompiler.CompileToBytes(trees, strategy), matrix);

        var worst = 0.0;
        var worstRow = -1;
        for (var r = 0; r < expected.Length; r++)
        {
            var error = Math.Abs((double)actual[r] - expected[r]);
            if (!(error <= worst))
            {
                worst = error;
                worstRow = r;
            }
        }

        Assert.True(worst <= Tolerance, $"row {worstRow}: ORT {actual[Math.Max(worstRow, 0)]} vs ML.NET {expected[Math.Max(worstRow, 0)]}");
    }

    [Theory]
    [InlineData("fasttree")]
    [InlineData("lightgbm")]
    public void Tree_model_reference_evaluation_matches_MLNET_exactly(string trainer)
    {
        var (package, trees) = Pick(trainer);
        var matrix = TrainedModels.EvaluationMatrix(trees, seed: 29);
        var expected = TrainedModels.MlNetProbabilities(package, matrix);
        for (var r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r], trees.Probability(matrix.AsSpan(r * TrainedModels.FeatureCount, TrainedModels.FeatureCount)));
        }
    }

    [Theory]
    [InlineData(TreeGraphStrategy.Gemm)]
    [InlineData(TreeGraphStrategy.TreeTraversal)]
    public void Compiled_graph_holds_only_standard_ai_onnx_operators(TreeGraphStrategy strategy)
    {
        var bytes = TensorGraphCompiler.CompileToBytes(models.LightGbm, strategy);
        var operators = OnnxModelInspector.ListOperators(bytes);

        Assert.NotEmpty(operators);
        Assert.All(operators, op => Assert.Equal("", op.Domain));
        Assert.DoesNotContain(operators, op => op.OpType.StartsWith("TreeEnsemble", StringComparison.Ordinal));
        Assert.Equal([("", 17L)], OnnxModelInspector.ListOpsets(bytes));
    }

    [Fact]
    public void LightGbm_trees_send_some_NaN_left_read_through_the_internal_member_that_must_still_exist()
    {
        var context = new Microsoft.ML.MLContext(seed: 1);
        var transformer = context.Model.Load(Path.Combine(models.LightGbmPackage, "model.zip"), out _);
        var parameters = (Microsoft.ML.Calibrators.CalibratedModelParametersBase<Microsoft.ML.Trainers.LightGbm.LightGbmBinaryModelParameters, Microsoft.ML.Calibrators.PlattCalibrator>)
            ((Microsoft.ML.ISingleFeaturePredictionTransformer<object>)transformer).Model;

        Assert.True(TreeExtractor.MissingValueReplacementsReadable(parameters.SubModel.TrainedTreeEnsemble.Trees[0]));
        Assert.Contains(models.LightGbm.Trees, tree => Array.IndexOf(tree.NaNGoesLeft, true) >= 0);
        Assert.All(models.FastTree.Trees, tree => Assert.DoesNotContain(true, tree.NaNGoesLeft));
    }

    [Fact]
    public void Auto_strategy_picks_GEMM_for_trees_of_few_leaves_and_traversal_for_big_ones()
    {
        Assert.Equal(TreeGraphStrategy.Gemm, TensorGraphCompiler.Resolve(models.FastTree, TreeGraphStrategy.Auto));
        var big = new TreeEnsembleModel { FeatureCount = 2, Trees = [Chain(TensorGraphCompiler.GemmMaxLeaves + 1)] };
        Assert.Equal(TreeGraphStrategy.TreeTraversal, TensorGraphCompiler.Resolve(big, TreeGraphStrategy.Auto));
        Assert.Equal(TensorGraphCompiler.GemmMaxLeaves, big.MaxDepth());
    }

    [Theory]
    [InlineData(TreeGraphStrategy.Gemm)]
    [InlineData(TreeGraphStrategy.TreeTraversal)]
    public void Single_leaf_trees_deep_chains_and_infinite_thresholds_compile_exactly(TreeGraphStrategy strategy)
    {
        var chain = Chain(40);
        chain.Thresholds[3] = float.PositiveInfinity;
        chain.Thresholds[5] = float.NegativeInfinity;
        chain.NaNGoesLeft[7] = true;
        var model = new TreeEnsembleModel
        {
            FeatureCount = 2,
            PlattSlope = -0.7,
            PlattOffset = 0.2,
            Bias = 0.125,
            Trees = [new DecisionTree { LeafValues = [0.3] }, chain, Stump()],
        };
        float[] xs = [float.NaN, float.NegativeInfinity, float.PositiveInfinity, -40f, -3f, 0f, 2f, 5f, 39f, float.MaxValue];
        var matrix = xs.SelectMany(a => xs.SelectMany(b => new[] { a, b })).ToArray();

        var actual = RunOnCpu(TensorGraphCompiler.CompileToBytes(model, strategy), matrix, features: 2);

        for (var r = 0; r < actual.Length; r++)
        {
            Assert.Equal(model.Probability(matrix.AsSpan(r * 2, 2)), actual[r], 1e-6f);
        }
    }

    /// <summary>A left-leaning chain: node i splits feature 0 at i - 20 and sends the rest right to node i + 1.</summary>
    internal static DecisionTree Chain(int leaves)
    {
        var nodes = leaves - 1;
        var tree = new DecisionTree
        {
            SplitFeatures = new int[nodes],
            Thresholds = new float[nodes],
            LeftChild = new int[nodes],
            RightChild = new int[nodes],
            NaNGoesLeft = new bool[nodes],
            LeafValues = new double[leaves],
        };
        for (var i = 0; i < nodes; i++)
        {
            tree.Thresholds[i] = i - 20;
            tree.LeftChild[i] = ~i;
            tree.RightChild[i] = i + 1 < nodes ? i + 1 : ~(i + 1);
            tree.LeafValues[i] = (i % 7) * 0.1;
        }

        tree.LeafValues[nodes] = -0.5;
        return tree;
    }

    [Fact]
    public void A_model_that_normalizes_features_before_the_trees_is_refused()
    {
        var context = new Microsoft.ML.MLContext(seed: 2);
        var data = context.Data.LoadFromEnumerable(TrainedModels.Synthetic(300, seed: 4, withMissing: false), TrainedModels.SchemaDefinition());
        var model = context.Transforms.NormalizeMinMax("Features")
            .Append(context.BinaryClassification.Trainers.FastTree(numberOfLeaves: 4, numberOfTrees: 3, minimumExampleCountPerLeaf: 5))
            .Fit(data);

        var error = Assert.Throws<NotSupportedException>(() => TreeExtractor.FromTransformer(model, TrainedModels.FeatureCount));
        Assert.Contains("normalizes its features", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trees_json_round_trips_infinite_thresholds()
    {
        var model = new TreeEnsembleModel { FeatureCount = 2, PlattSlope = -1.5, Trees = [Stump()] };
        model.Trees[0].Thresholds[0] = float.PositiveInfinity;
        var path = Path.Combine(models.Directory, "roundtrip.json");
        model.Save(path);
        var loaded = TreeEnsembleModel.Load(path);

        Assert.Equal(float.PositiveInfinity, loaded.Trees[0].Thresholds[0]);
        Assert.Equal(-1.5, loaded.PlattSlope);
        Assert.Equal(model.Probability([3f, 0f]), loaded.Probability([3f, 0f]));
    }

    internal static DecisionTree Stump() => new()
    {
        SplitFeatures = [1],
        Thresholds = [0.5f],
        LeftChild = [~0],
        RightChild = [~1],
        NaNGoesLeft = [false],
        LeafValues = [-1.0, 2.0],
    };

    internal static float[] RunOnCpu(byte[] onnx, float[] matrix, int features = -1)
    {
        features = features < 0 ? TrainedModels.FeatureCount : features;
        using var options = new SessionOptions();
        using var session = new InferenceSession(onnx, options);
        var rows = matrix.Length / features;
        using var input = OrtValue.CreateTensorValueFromMemory(matrix, [rows, features]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [TensorGraphCompiler.InputName], [input], [TensorGraphCompiler.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private (string Package, TreeEnsembleModel Trees) Pick(string trainer) =>
        trainer == "fasttree" ? (models.FastTreePackage, models.FastTree) : (models.LightGbmPackage, models.LightGbm);
}
