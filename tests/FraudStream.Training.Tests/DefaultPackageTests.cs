using FraudStream.Testing;
using FraudStream.Training.Compilation;

namespace FraudStream.Training.Tests;

public sealed class DefaultPackageTests
{
    [Fact]
    public void The_shipped_tensor_graph_is_what_the_compiler_produces_from_the_shipped_trees()
    {
        var shipped = RepositoryPaths.Of("data", "model");
        var copy = Path.Combine(Path.GetTempPath(), $"fs-package-{Guid.NewGuid():N}");
        Directory.CreateDirectory(copy);
        try
        {
            foreach (var file in Directory.GetFiles(shipped))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }

            var strategy = PackageCompiler.AddTensorGraph(copy, TreeGraphStrategy.Gemm);

            Assert.Equal(TreeGraphStrategy.Gemm, strategy);
            Assert.Equal(File.ReadAllBytes(Path.Combine(shipped, PackageCompiler.TensorGraphFileName)),
                File.ReadAllBytes(Path.Combine(copy, PackageCompiler.TensorGraphFileName)));
            Assert.Equal(File.ReadAllText(Path.Combine(shipped, "trees.json")), File.ReadAllText(Path.Combine(copy, "trees.json")));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }
}
