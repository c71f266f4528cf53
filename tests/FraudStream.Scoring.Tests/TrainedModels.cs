using FraudStream.Features.Schema;
using FraudStream.Scoring.Packaging;
using FraudStream.Scoring.Trees;
using FraudStream.Training.Compilation;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace FraudStream.Scoring.Tests;

public sealed class Row
{
    [VectorType]
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }
}

public sealed class Prediction
{
    public float Probability { get; set; }

    public float Score { get; set; }
}

/// <summary>One small FastTree and one small LightGbm model trained once on seeded synthetic data.</summary>
public sealed class TrainedModels : IDisposable
{
    public const int EvaluationRows = 10_000;

    public TrainedModels()
    {
        Directory = Path.Combine(Path.GetTempPath(), "fraudstream-scoring-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        var context = new MLContext(seed: 7);
        var training = context.Data.LoadFromEnumerable(Synthetic(4000, seed: 11, withMissing: true), SchemaDefinition());

        FastTreePackage = Train("fasttree", context, training,
            context.BinaryClassification.Trainers.FastTree(numberOfLeaves: 16, numberOfTrees: 60, minimumExampleCountPerLeaf: 20));
        LightGbmPackage = Train("lightgbm", context, training,
            context.BinaryClassification.Trainers.LightGbm(numberOfLeaves: 12, numberOfIterations: 60, minimumExampleCountPerLeaf: 20));
        FastTree = TreeEnsembleModel.Load(Path.Combine(FastTreePackage, TreeEnsembleModel.FileName));
        LightGbm = TreeEnsembleModel.Load(Path.Combine(LightGbmPackage, TreeEnsembleModel.FileName));
    }

    public string Directory { get; }

    public string FastTreePackage { get; }

    public string LightGbmPackage { get; }

    public TreeEnsembleModel FastTree { get; }

    public TreeEnsembleModel LightGbm { get; }

    public static int FeatureCount => FeatureSchema.Count;

    public static SchemaDefinition SchemaDefinition()
    {
        var schema = Microsoft.ML.Data.SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureCount);
        return schema;
    }

    public static List<Row> Synthetic(int count, int seed, bool withMissing)
    {
        var random = new Random(seed);
        var rows = new List<Row>(count);
        for (var r = 0; r < count; r++)
        {
            var x = new float[FeatureCount];
            for (var f = 0; f < FeatureCount; f++)
            {
                x[f] = (float)((random.NextDouble() * 4) - 2);
                if (withMissing && random.NextDouble() < 0.05)
                {
                    x[f] = float.NaN;
                }
            }

            var z = (2 * Value(x[0], -1)) - (1.5 * Value(x[1], 1)) + (x[2] * Value(x[3], 0)) + Value(x[4], 0.5) + (random.NextDouble() - 0.5);
            rows.Add(new Row { Features = x, Label = z > 0.8 });
        }

        return rows;
    }

    /// <summary>Evaluation rows: random values, NaN, ±inf, extremes, and values exactly equal to split thresholds.</summary>
    public static float[] EvaluationMatrix(TreeEnsembleModel model, int seed)
    {
        var random = new Random(seed);
        var thresholds = new List<(int Feature, float Threshold)>();
        foreach (var tree in model.Trees)
        {
            for (var i = 0; i < tree.InternalNodeCount; i++)
            {
                thresholds.Add((tree.SplitFeatures[i], tree.Thresholds[i]));
            }
        }

        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.MinValue, 0f, -0f, float.Epsilon];
        var matrix = new float[EvaluationRows * FeatureCount];
        for (var r = 0; r < EvaluationRows; r++)
        {
            var row = matrix.AsSpan(r * FeatureCount, FeatureCount);
            for (var f = 0; f < FeatureCount; f++)
            {
                row[f] = (float)((random.NextDouble() * 5) - 2.5);
                var dice = random.NextDouble();
                if (dice < 0.08)
                {
                    row[f] = specials[random.Next(specials.Length)];
                }
            }

            // A third of the rows put several features exactly on a threshold used by some node.
            if (r % 3 == 0)
            {
                for (var k = 0; k < 6; k++)
                {
                    var (feature, threshold) = thresholds[random.Next(thresholds.Count)];
                    row[feature] = threshold;
                }
            }
        }

        return matrix;
    }

    /// <summary>ML.NET's own probabilities for the rows (the transformer loaded back from model.zip).</summary>
    public static float[] MlNetProbabilities(string packageDir, float[] matrix)
    {
        var context = new MLContext(seed: 1);
        var model = context.Model.Load(Path.Combine(packageDir, "model.zip"), out _);
        var rows = new List<Row>(matrix.Length / FeatureCount);
        for (var r = 0; r < matrix.Length / FeatureCount; r++)
        {
            rows.Add(new Row { Features = matrix.AsSpan(r * FeatureCount, FeatureCount).ToArray() });
        }

        var scored = model.Transform(context.Data.LoadFromEnumerable(rows, SchemaDefinition()));
        var result = new float[rows.Count];
        var i = 0;
        foreach (var prediction in context.Data.CreateEnumerable<Prediction>(scored, reuseRowObject: true))
        {
            result[i++] = prediction.Probability;
        }

        return result;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static double Value(float x, double fallback) => float.IsNaN(x) ? fallback : x;

    private string Train(string name, MLContext context, IDataView training, IEstimator<ITransformer> trainer)
    {
        var packageDir = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(packageDir);
        var model = trainer.Fit(training);
        context.Model.Save(model, training.Schema, Path.Combine(packageDir, "model.zip"));
        using (var stream = File.Create(Path.Combine(packageDir, "model.cpu.onnx")))
        {
            context.Model.ConvertToOnnx(model, training, stream);
        }

        new ModelPackage
        {
            ModelVersion = $"{name}-test",
            CreatedAt = DateTime.UtcNow,
            Trainer = name,
            FeatureSchema = new FeatureSchemaInfo { Version = FeatureSchema.Version, Names = [.. FeatureSchema.Names] },
        }.Save(packageDir);
        PackageCompiler.AddTensorGraph(packageDir);
        return packageDir;
    }
}
