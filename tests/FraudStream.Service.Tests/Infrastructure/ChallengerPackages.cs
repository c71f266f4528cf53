using FraudStream.Features.Schema;
using FraudStream.Scoring.Packaging;
using FraudStream.Testing;
using FraudStream.Training.Compilation;
using FraudStream.Training.Compilation.Onnx;

namespace FraudStream.Service.Tests.Infrastructure;

/// <summary>Challenger packages for the shadow-scoring tests, each in its own folder under <paramref name="root"/>.</summary>
internal static class ChallengerPackages
{
    public static string Champion => RepositoryPaths.Of("data", "model");

    public static string ChampionVersion => ModelPackage.Load(Champion).ModelVersion;

    /// <summary>The shipped package under another version: the same scores, so its would-be decisions must be the real ones.</summary>
    public static string CopyOfChampion(string root, string version)
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "copy")).FullName;
        foreach (var file in Directory.GetFiles(Champion))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }

        var manifest = ModelPackage.Load(dir);
        manifest.ModelVersion = version;
        manifest.Save(dir);
        return dir;
    }

    /// <summary>Random trees over the running schema (another model than the champion), with thresholds that flag some.</summary>
    public static string Synthetic(string root, int seed)
    {
        var dir = SyntheticPackage.Create(Path.Combine(root, "synthetic-" + seed), trees: 40, depth: 4, seed: seed);
        var manifest = ModelPackage.Load(dir);
        manifest.Thresholds = new ThresholdInfo { Review = 0.45, Decline = 0.55 };
        manifest.Save(dir);
        return dir;
    }

    /// <summary>A copy of the champion that says it was trained on another feature schema version.</summary>
    public static string OtherSchema(string root)
    {
        var dir = CopyOfChampion(Path.Combine(root, "other-schema"), "other-schema");
        var manifest = ModelPackage.Load(dir);
        manifest.FeatureSchema = new FeatureSchemaInfo { Version = FeatureSchema.Version + "-old", Names = [.. FeatureSchema.Names] };
        manifest.Save(dir);
        return dir;
    }

    /// <summary>
    /// A model that loads, passes every check and warms up, then fails on real data: a lookup of the features' total
    /// magnitude (x1000) into a two-entry table. Warm-up scores all-zero rows (index 0, in range); a real transaction's
    /// features give an index far out of range, which ONNX Runtime refuses at run time. This is how a mis-exported
    /// model fails in production: not at deploy, on the first real batch.
    /// </summary>
    public static string FailsOnRealData(string root)
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "fails")).FullName;
        var model = new OnnxModel();
        var g = model.Graph;
        g.Inputs.Add(new OnnxValueInfo(ScoringNames.Input, OnnxDataType.Float, null, FeatureSchema.Count));
        g.Outputs.Add(new OnnxValueInfo(ScoringNames.Output, OnnxDataType.Float, [null]));
        g.Initializers.Add(OnnxTensor.Of("axes", [1], new long[] { 1 }));
        g.Initializers.Add(OnnxTensor.Of("scale", [], new[] { 1000f }));
        g.Initializers.Add(OnnxTensor.Of("table", [2], new[] { 0.1f, 0.2f }));
        Node(g, "Abs", [ScoringNames.Input], "magnitude");
        var sum = Node(g, "ReduceSum", ["magnitude", "axes"], "total");
        sum.Attributes.Add(OnnxAttribute.Int("keepdims", 0));
        Node(g, "Mul", ["total", "scale"], "scaled");
        var cast = Node(g, "Cast", ["scaled"], "index");
        cast.Attributes.Add(OnnxAttribute.Int("to", (long)OnnxDataType.Int64));
        Node(g, "Gather", ["table", "index"], ScoringNames.Output);
        File.WriteAllBytes(Path.Combine(dir, PackageCompiler.TensorGraphFileName), model.ToBytes());
        new ModelPackage
        {
            ModelVersion = "fails-on-real-data",
            CreatedAt = DateTime.UtcNow,
            Trainer = "test",
            FeatureSchema = new FeatureSchemaInfo { Version = FeatureSchema.Version, Names = [.. FeatureSchema.Names] },
            Thresholds = new ThresholdInfo { Review = 0.5, Decline = 0.9 },
            Files = new PackageFiles { OnnxTensor = PackageCompiler.TensorGraphFileName },
        }.Save(dir);
        return dir;
    }

    private static OnnxNode Node(OnnxGraph graph, string op, string[] inputs, string output)
    {
        var node = new OnnxNode { OpType = op, Name = output };
        node.Inputs.AddRange(inputs);
        node.Outputs.Add(output);
        graph.Nodes.Add(node);
        return node;
    }

    private static class ScoringNames
    {
        public const string Input = FraudStream.Scoring.Runtime.ScorerFactory.TensorInputName;
        public const string Output = FraudStream.Scoring.Runtime.ScorerFactory.TensorOutputName;
    }
}
