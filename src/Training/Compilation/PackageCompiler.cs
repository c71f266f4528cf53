using FraudStream.Scoring.Packaging;
using FraudStream.Scoring.Trees;

namespace FraudStream.Training.Compilation;

/// <summary>Adds the tensor graph (model.tensor.onnx) and the trees (trees.json) to a model package.</summary>
public static class PackageCompiler
{
    public const string TensorGraphFileName = "model.tensor.onnx";

    /// <summary>
    /// Reads the package's model.zip, writes <see cref="TensorGraphFileName"/> and <see cref="TreeEnsembleModel.FileName"/>
    /// next to it and records both in model.json. Returns the compiled model's strategy.
    /// </summary>
    public static TreeGraphStrategy AddTensorGraph(string packageDir, TreeGraphStrategy strategy = TreeGraphStrategy.Auto)
    {
        var manifest = ModelPackage.Load(packageDir);
        var featureCount = manifest.FeatureSchema.Names.Count;
        if (featureCount == 0)
        {
            throw new InvalidDataException($"model package '{packageDir}' lists no features");
        }

        var trees = TreeExtractor.FromModelFile(Path.Combine(packageDir, manifest.Files.Mlnet), featureCount);
        var resolved = TensorGraphCompiler.Resolve(trees, strategy);
        File.WriteAllBytes(Path.Combine(packageDir, TensorGraphFileName), TensorGraphCompiler.CompileToBytes(trees, resolved));
        trees.Save(Path.Combine(packageDir, TreeEnsembleModel.FileName));
        manifest.Files.OnnxTensor = TensorGraphFileName;
        manifest.Files.Trees = TreeEnsembleModel.FileName;
        manifest.Save(packageDir);
        return resolved;
    }
}
