using FraudStream.Features.Schema;
using FraudStream.Scoring.Packaging;
using FraudStream.Training.Compilation;
using FraudStream.Training.Data;
using FraudStream.Training.Evaluation;
using FraudStream.Training.Modeling;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FraudStream.Training.Tests;

/// <summary>
/// The package the trainer really writes (imputer before the trees, NaN-rich features) compiled to the tensor
/// graph must score as ML.NET does: the graph has to carry the imputer, not only the trees.
/// </summary>
public sealed class TrainedPackageFidelityTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fs-fidelity-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory]
    [InlineData(TreeGraphStrategy.Gemm)]
    [InlineData(TreeGraphStrategy.TreeTraversal)]
    public void The_compiled_graph_of_a_trained_package_matches_mlnet(TreeGraphStrategy strategy)
    {
        var dir = Path.Combine(_root, strategy.ToString());
        ModelTrainer.Train(new TrainOptions { Seed = 9, Count = 20_000, NumberOfTrees = 40, Out = dir }, TextWriter.Null);
        PackageCompiler.AddTensorGraph(dir, strategy);
        var package = ModelPackage.Load(dir);
        var history = HistorySources.Simulator(11, 5_000);
        var table = FeatureTable.Build(history.Events);
        var expected = ModelEvaluator.Score(dir, package, table);

        var rows = table.Count;
        var input = new float[rows * FeatureSchema.Count];
        var nan = 0;
        for (var i = 0; i < rows; i++)
        {
            var row = table.Row(i);
            row.CopyTo(input.AsSpan(i * FeatureSchema.Count));
            foreach (var v in row)
            {
                nan += float.IsNaN(v) ? 1 : 0;
            }
        }

        Assert.True(nan > 0, "the rows should exercise missing values");
        using var session = new InferenceSession(Path.Combine(dir, package.Files.OnnxTensor!));
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(TensorGraphCompiler.InputName,
            new DenseTensor<float>(input, [rows, FeatureSchema.Count]))]);
        var actual = results.First().AsEnumerable<float>().ToArray();
        var worst = 0.0;
        for (var i = 0; i < rows; i++)
        {
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
        }

        Assert.True(worst <= 1e-6, $"max |p_graph - p_mlnet| = {worst:E2} over {rows} rows");
    }
}
