using FraudStream.Features.Schema;
using FraudStream.Scoring.Packaging;
using FraudStream.Training.Compilation;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace FraudStream.Benchmarks.Scoring;

public sealed class BenchRow
{
    [VectorType]
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }
}

public sealed class BenchPrediction
{
    public float Probability { get; set; }
}

/// <summary>A FastTree model (100 trees, 20 leaves: ML.NET's defaults) on seeded synthetic rows, packaged once per process.</summary>
internal static class ScoringBenchmarkModel
{
    public static string PackageDir { get; } = Path.Combine(Path.GetTempPath(), "fraudstream-bench-scoring", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static MLContext Context { get; } = new(seed: 3);

    public static SchemaDefinition Schema()
    {
        var schema = SchemaDefinition.Create(typeof(BenchRow));
        schema[nameof(BenchRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureSchema.Count);
        return schema;
    }

    public static ITransformer Train()
    {
        var training = Context.Data.LoadFromEnumerable(Rows(5000, seed: 1), Schema());
        var model = Context.BinaryClassification.Trainers.FastTree(numberOfLeaves: 20, numberOfTrees: 100).Fit(training);
        Directory.CreateDirectory(PackageDir);
        Context.Model.Save(model, training.Schema, Path.Combine(PackageDir, "model.zip"));
        using (var stream = File.Create(Path.Combine(PackageDir, "model.cpu.onnx")))
        {
            Context.Model.ConvertToOnnx(model, training, stream);
        }

        new ModelPackage
        {
            ModelVersion = "bench-fasttree",
            Trainer = "FastTree",
            FeatureSchema = new FeatureSchemaInfo { Version = FeatureSchema.Version, Names = [.. FeatureSchema.Names] },
        }.Save(PackageDir);
        PackageCompiler.AddTensorGraph(PackageDir);
        return model;
    }

    public static List<BenchRow> Rows(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new List<BenchRow>(count);
        for (var r = 0; r < count; r++)
        {
            var x = new float[FeatureSchema.Count];
            for (var f = 0; f < x.Length; f++)
            {
                x[f] = random.NextDouble() < 0.03 ? float.NaN : (float)((random.NextDouble() * 4) - 2);
            }

            var z = (2 * x[0]) - (1.5 * x[1]) + (x[2] * x[3]) + (random.NextDouble() - 0.5);
            rows.Add(new BenchRow { Features = x, Label = z > 0.8 });
        }

        return rows;
    }

    public static void Cleanup()
    {
        try
        {
            Directory.Delete(PackageDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
