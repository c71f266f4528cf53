using System.CommandLine;
using FraudStream.Scoring.Packaging;
using FraudStream.Training.Compilation;
using FraudStream.Training.Data;
using FraudStream.Training.Modeling;
using FraudStream.Training.Progress;

namespace FraudStream.Service.Cli;

internal static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new TrainOptions();
        var source = new Option<string>("--source") { Description = $"Where history comes from: {HistorySources.SourceNames}", DefaultValueFactory = _ => "simulator" };
        var file = new Option<string?>("--file") { Description = "Data file for banksim (BankSim CSV) or jsonl (the transactions contract plus {\"label\":{…}} lines), plain or gzip" };
        var seed = new Option<int>("--seed") { Description = "Seed (simulator stream and trainer)", DefaultValueFactory = _ => 42 };
        var seeds = new Option<string?>("--seeds")
        {
            Description = $"Simulator only: train on several worlds pooled, one per seed (42,43,44,45 or 42..45; at most {TrainOptions.MaxWorlds}); "
                + "each is replayed on its own and validated on its own later 20%; the trainer takes the first seed. Not with --seed",
        };
        var count = new Option<int>("--count") { Description = "Simulated transactions (per world with --seeds)", DefaultValueFactory = _ => 300_000 };
        var labelNoise = new Option<double?>("--label-noise") { Description = "Simulator only: share of labels that say the opposite of the truth (default 0.01)" };
        var world = CommonOptions.World();
        var trainer = new Option<string>("--trainer") { Description = "auto (both, picked by validation PR-AUC), fasttree or lightgbm", DefaultValueFactory = _ => defaults.Trainer.ToString().ToLowerInvariant() };
        var trees = new Option<int>("--trees") { Description = "Boosted trees (LightGBM: iterations)", DefaultValueFactory = _ => defaults.NumberOfTrees };
        var leaves = new Option<int>("--leaves") { Description = "Leaves per tree", DefaultValueFactory = _ => defaults.NumberOfLeaves };
        var learningRate = new Option<double>("--learning-rate") { Description = "Learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var search = new Option<int>("--search")
        {
            Description = $"Try up to N settings (per trainer) around --trees/--leaves/--learning-rate (N <= {ModelSearch.MaxCandidates}), keep the best validation PR-AUC; model.json records them all",
        };
        var trainBefore = new Option<string?>("--train-before") { Description = "Use only rows before this step (day) or RFC 3339 time (validation is the last 20% of those)" };
        var stepOrigin = new Option<string?>("--step-origin") { Description = "RFC 3339 time where step 0 of --train-before starts (default: BankSim's day 0; jsonl: midnight UTC of the first transaction's day)" };
        var output = new Option<string>("--out") { Description = "Output package directory", Required = true };
        var strategy = new Option<string>("--graph-strategy") { Description = "Tensor graph: auto, gemm or traversal", DefaultValueFactory = _ => "auto" };
        var command = new Command("train", "Train the model with ML.NET on replayed history and write a model package (with the GPU tensor graph)")
        {
            source, file, seed, seeds, count, labelNoise, world, trainer, trees, leaves, learningRate, search, trainBefore, stepOrigin, output, strategy,
        };
        command.SetAction(parse =>
        {
            if (!HistorySources.TryParseSource(parse.GetValue(source), out var src))
            {
                Console.Error.WriteLine($"--source must be {HistorySources.SourceNames}");
                return 2;
            }

            if (!Enum.TryParse<TrainerKind>(parse.GetValue(trainer), ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
            {
                Console.Error.WriteLine("--trainer must be auto, fasttree or lightgbm");
                return 2;
            }

            if (!CompileCommand.TryParseStrategy(parse.GetValue(strategy)!, out var graphStrategy))
            {
                Console.Error.WriteLine("--graph-strategy must be auto, gemm or traversal");
                return 2;
            }

            IReadOnlyList<int>? worldSeeds = null;
            if (parse.GetValue(seeds) is { } seedList)
            {
                if (parse.GetResult(seed) is { Implicit: false })
                {
                    Console.Error.WriteLine("--seed and --seeds are exclusive: --seeds names the worlds, and the trainer takes the first of them");
                    return 2;
                }

                if (!TrainOptions.TryParseSeeds(seedList, out var parsed, out var seedsProblem))
                {
                    Console.Error.WriteLine(seedsProblem);
                    return 2;
                }

                worldSeeds = parsed;
            }

            var options = new TrainOptions
            {
                Source = src,
                File = parse.GetValue(file),
                Seed = worldSeeds is [var first, ..] ? first : parse.GetValue(seed),
                Seeds = worldSeeds,
                Count = parse.GetValue(count),
                LabelNoise = parse.GetValue(labelNoise),
                World = CommonOptions.WorldOf(parse.GetValue(world)),
                Trainer = kind,
                NumberOfTrees = parse.GetValue(trees),
                NumberOfLeaves = parse.GetValue(leaves),
                LearningRate = parse.GetValue(learningRate),
                Search = parse.GetValue(search),
                TrainBefore = parse.GetValue(trainBefore),
                StepOrigin = parse.GetValue(stepOrigin),
                Out = parse.GetValue(output)!,
            };
            if ((options.Problem() ?? BoundaryProblem(options)) is { } problem)
            {
                Console.Error.WriteLine(problem);
                return 2;
            }

            if (src != TrainingSource.Simulator && !File.Exists(options.File))
            {
                Console.Error.WriteLine($"no such file: {options.File}");
                return 2;
            }

            ModelPackage package;
            using (var progress = ProgressDisplay.ForStandardError())
            {
                package = ModelTrainer.Train(options, Console.Out, progress);
            }

            var chosen = PackageCompiler.AddTensorGraph(options.Out, graphStrategy);
            Console.WriteLine($"model {package.ModelVersion} written to {Path.GetFullPath(options.Out)} (tensor graph: {chosen})");
            return 0;
        });
        return command;
    }

    private static string? BoundaryProblem(TrainOptions options)
    {
        if (options.TrainBefore is { } before && !TimeBoundary.TryParse(before, out _))
        {
            return $"--train-before: '{before}' is neither a step number nor an RFC 3339 time";
        }

        return options.StepOrigin is { } origin && (!TimeBoundary.TryParse(origin, out var parsed) || parsed.Time is null)
            ? $"--step-origin: '{origin}' is not an RFC 3339 time"
            : null;
    }
}
