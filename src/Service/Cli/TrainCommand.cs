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
        var trainBefore = new Option<string?>("--train-before") { Description = "Train on rows before this BankSim step or RFC 3339 time; validate on the rest" };
        var output = new Option<string>("--out") { Description = "Output package directory", Required = true };
        var command = new Command("train", "Train the model with ML.NET on replayed history and write a model package (with the GPU tensor graph)")
        {
            source, file, seed, count, trainer, trainBefore, output,
        };
        command.SetAction(parse =>
        {
            if (!Enum.TryParse<TrainingSource>(parse.GetValue(source), ignoreCase: true, out var src) ||
                !Enum.TryParse<TrainerKind>(parse.GetValue(trainer), ignoreCase: true, out var kind))
            {
                Console.Error.WriteLine("--source must be simulator or banksim; --trainer FastTree or LightGbm");
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
            var strategy = PackageCompiler.AddTensorGraph(options.Out);
            Console.WriteLine($"model {package.ModelVersion} written to {Path.GetFullPath(options.Out)} (tensor graph: {strategy})");
            return 0;
        });
        return command;
    }
}

internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model package directory", Required = true };
        var file = new Option<string>("--file") { Description = "Data file (plain or gzip)", Required = true };
        var format = new Option<string>("--format") { Description = "banksim or jsonl", Required = true };
        var evalFrom = new Option<string?>("--eval-from") { Description = "BankSim step or RFC 3339 time: earlier rows only warm the features" };
        var rules = new Option<string?>("--rules") { Description = "Also report rules alone and model + rules" };
        var report = new Option<string?>("--json-report") { Description = "Write the report as JSON" };
        var command = new Command("evaluate", "Score a labelled file with a model package and report PR-AUC, ROC-AUC, recall at FPR, precision and recall")
        {
            model, file, format, evalFrom, rules, report,
        };
        command.SetAction(parse =>
        {
            if (!ReplaySources.TryParseFormat(parse.GetValue(format), out var replayFormat))
            {
                Console.Error.WriteLine("--format must be banksim or jsonl");
                return 2;
            }

            var options = new EvaluateOptions
            {
                Model = parse.GetValue(model)!,
                File = parse.GetValue(file)!,
                Format = replayFormat,
                EvalFrom = parse.GetValue(evalFrom),
                JsonReport = parse.GetValue(report),
                Rules = RulesHook.Create(parse.GetValue(rules), parse.GetValue(model)!),
            };
            var result = ModelEvaluator.Evaluate(options, Console.Error);
            Console.WriteLine(JsonSerializer.Serialize(result, EvaluationJson.Options));
            return 0;
        });
        return command;
    }
}

internal static class EvaluationJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
