using System.CommandLine;
using System.Text.Json;
using FraudStream.Ingest.Replay;
using FraudStream.Training.Compilation;
using FraudStream.Training.Evaluation;
using FraudStream.Training.Modeling;

namespace FraudStream.Service.Cli;

internal static class TrainCommand
{
    public static Command Create()
    {
        var source = new Option<string>("--source") { Description = "simulator or banksim", DefaultValueFactory = _ => "simulator" };
        var file = new Option<string?>("--file") { Description = "Data file for banksim/jsonl (plain or gzip)" };
        var seed = new Option<int>("--seed") { Description = "Seed (simulator stream and trainer)", DefaultValueFactory = _ => 42 };
        var count = new Option<int>("--count") { Description = "Simulated transactions", DefaultValueFactory = _ => 300_000 };
        var trainer = new Option<string>("--trainer") { Description = "FastTree or LightGbm", DefaultValueFactory = _ => "FastTree" };
        var trainBefore = new Option<string?>("--train-before") { Description = "Use only rows before this BankSim step or RFC 3339 time (validation is the last 20% of those)" };
        var output = new Option<string>("--out") { Description = "Output package directory", Required = true };
        var strategy = new Option<string>("--graph-strategy") { Description = "Tensor graph: auto, gemm or traversal", DefaultValueFactory = _ => "auto" };
        var command = new Command("train", "Train the model with ML.NET on replayed history and write a model package (with the GPU tensor graph)")
        {
            source, file, seed, count, trainer, trainBefore, output, strategy,
        };
        command.SetAction(parse =>
        {
            if (!Enum.TryParse<TrainingSource>(parse.GetValue(source), ignoreCase: true, out var src) ||
                !Enum.TryParse<TrainerKind>(parse.GetValue(trainer), ignoreCase: true, out var kind))
            {
                Console.Error.WriteLine("--source must be simulator or banksim; --trainer FastTree or LightGbm");
                return 2;
            }

            if (!CompileCommand.TryParseStrategy(parse.GetValue(strategy)!, out var graphStrategy))
            {
                Console.Error.WriteLine("--graph-strategy must be auto, gemm or traversal");
                return 2;
            }

            var options = new TrainOptions
            {
                Source = src,
                File = parse.GetValue(file),
                Seed = parse.GetValue(seed),
                Count = parse.GetValue(count),
                Trainer = kind,
                TrainBefore = parse.GetValue(trainBefore),
                Out = parse.GetValue(output)!,
            };
            var package = ModelTrainer.Train(options, Console.Out);
            var chosen = PackageCompiler.AddTensorGraph(options.Out, graphStrategy);
            Console.WriteLine($"model {package.ModelVersion} written to {Path.GetFullPath(options.Out)} (tensor graph: {chosen})");
            return 0;
        });
        return command;
    }
}
