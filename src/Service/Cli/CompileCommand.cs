using System.CommandLine;
using FraudStream.Training.Compilation;

namespace FraudStream.Service.Cli;

/// <summary>Recompiles a package's tensor graph from its trained model, e.g. after the compiler improved; no retraining.</summary>
internal static class CompileCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model package directory (with model.zip)", Required = true };
        var strategy = new Option<string>("--graph-strategy") { Description = "Tensor graph: auto, gemm or traversal", DefaultValueFactory = _ => "auto" };
        var command = new Command("compile", "Compile a model package's trees into the GPU tensor graph (model.tensor.onnx) again")
        {
            model, strategy,
        };
        command.SetAction(parse =>
        {
            if (!TryParseStrategy(parse.GetValue(strategy)!, out var chosen))
            {
                Console.Error.WriteLine("--graph-strategy must be auto, gemm or traversal");
                return 2;
            }

            var dir = parse.GetValue(model)!;
            var resolved = PackageCompiler.AddTensorGraph(dir, chosen);
            Console.WriteLine($"tensor graph ({resolved}) written to {Path.GetFullPath(Path.Combine(dir, PackageCompiler.TensorGraphFileName))}");
            return 0;
        });
        return command;
    }

    public static bool TryParseStrategy(string value, out TreeGraphStrategy strategy)
    {
        strategy = value switch
        {
            "gemm" => TreeGraphStrategy.Gemm,
            "traversal" => TreeGraphStrategy.TreeTraversal,
            _ => TreeGraphStrategy.Auto,
        };
        return value is "auto" or "gemm" or "traversal";
    }
}
