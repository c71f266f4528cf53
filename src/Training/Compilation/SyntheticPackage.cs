using FraudStream.Features.Schema;
using FraudStream.Scoring.Packaging;
using FraudStream.Scoring.Trees;

namespace FraudStream.Training.Compilation;

/// <summary>
/// A model package of random trees over the running feature schema, for benchmarks on hosts without training
/// data: the tensor graph and trees.json only (no model.zip, no TreeEnsemble export).
/// </summary>
public static class SyntheticPackage
{
    public static string Create(string packageDir, int trees = 300, int depth = 5, int seed = 17,
        TreeGraphStrategy strategy = TreeGraphStrategy.Auto)
    {
        var random = new Random(seed);
        var model = new TreeEnsembleModel
        {
            FeatureCount = FeatureSchema.Count,
            PlattSlope = -1.2,
            PlattOffset = 0.1,
            Trainer = "synthetic",
        };
        for (var t = 0; t < trees; t++)
        {
            model.Trees.Add(RandomTree(random, depth));
        }

        Directory.CreateDirectory(packageDir);
        File.WriteAllBytes(Path.Combine(packageDir, PackageCompiler.TensorGraphFileName), TensorGraphCompiler.CompileToBytes(model, strategy));
        model.Save(Path.Combine(packageDir, TreeEnsembleModel.FileName));
        new ModelPackage
        {
            ModelVersion = $"synthetic-{trees}x{depth}-{seed}",
            CreatedAt = DateTime.UtcNow,
            Trainer = "synthetic",
            FeatureSchema = new FeatureSchemaInfo { Version = FeatureSchema.Version, Names = [.. FeatureSchema.Names] },
            Files = new PackageFiles
            {
                OnnxTensor = PackageCompiler.TensorGraphFileName,
                Trees = TreeEnsembleModel.FileName,
            },
        }.Save(packageDir);
        return packageDir;
    }

    /// <summary>A tree whose leaves sit at depth <paramref name="depth"/> or a little above, in ML.NET's node layout.</summary>
    private static DecisionTree RandomTree(Random random, int depth)
    {
        var features = new List<int>();
        var thresholds = new List<float>();
        var left = new List<int>();
        var right = new List<int>();
        var nanLeft = new List<bool>();
        var leaves = new List<double>();

        int Grow(int level)
        {
            if (level == depth || (level > 1 && random.NextDouble() < 0.1))
            {
                leaves.Add((random.NextDouble() - 0.5) * 0.2);
                return ~(leaves.Count - 1);
            }

            var node = features.Count;
            features.Add(random.Next(FeatureSchema.Count));
            thresholds.Add((float)((random.NextDouble() * 4) - 2));
            nanLeft.Add(random.NextDouble() < 0.5);
            left.Add(0);
            right.Add(0);
            left[node] = Grow(level + 1);
            right[node] = Grow(level + 1);
            return node;
        }

        Grow(0);
        return new DecisionTree
        {
            SplitFeatures = [.. features],
            Thresholds = [.. thresholds],
            LeftChild = [.. left],
            RightChild = [.. right],
            NaNGoesLeft = [.. nanLeft],
            LeafValues = [.. leaves],
        };
    }
}
