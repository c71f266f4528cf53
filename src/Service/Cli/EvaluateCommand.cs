using System.CommandLine;
using System.Text.Json;
using FraudStream.Ingest.Replay;
using FraudStream.Training.Evaluation;

namespace FraudStream.Service.Cli;

internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model package directory", Required = true };
        var file = new Option<string?>("--file") { Description = "Data file (plain or gzip); not with --format simulator" };
        var format = new Option<string>("--format") { Description = "banksim, jsonl, or simulator (a world of --seed, scored against its truth and its published labels)", Required = true };
        var seed = new Option<int?>("--seed") { Description = "--format simulator: the world's seed (choose one the model was not trained on)" };
        var count = new Option<int>("--count") { Description = "--format simulator: transactions", DefaultValueFactory = _ => 150_000 };
        var labelNoise = new Option<double?>("--label-noise") { Description = "--format simulator: share of published labels that are wrong (default: the simulator's)" };
        var world = CommonOptions.World();
        var k = new Option<int>("--k") { Description = "Card precision@k per day: the k highest-scoring cards of each day", DefaultValueFactory = _ => 100 };
        var resamples = new Option<int>("--bootstrap") { Description = "Resamples of the days for 95 % confidence intervals (0: none)", DefaultValueFactory = _ => 200 };
        var evalFrom = new Option<string?>("--eval-from") { Description = "BankSim step or RFC 3339 time: earlier rows only warm the features" };
        var rules = new Option<string?>("--rules") { Description = "Also report rules alone and model + rules" };
        var report = new Option<string?>("--json-report") { Description = "Write the report as JSON" };
        var command = new Command("evaluate", "Score a labelled file or an unseen simulator world with a model package: PR-AUC, ROC-AUC, recall at FPR, card precision@k per day with confidence intervals, rules alone against model + rules")
        {
            model, file, format, seed, count, labelNoise, world, evalFrom, rules, k, resamples, report,
        };
        command.SetAction(parse =>
        {
            var simulated = string.Equals(parse.GetValue(format), "simulator", StringComparison.OrdinalIgnoreCase);
            var replayFormat = ReplayFormat.JsonLines;
            if (!simulated && !ReplaySources.TryParseFormat(parse.GetValue(format), out replayFormat))
            {
                Console.Error.WriteLine("--format must be banksim, jsonl or simulator");
                return 2;
            }

            if (simulated != parse.GetValue(seed).HasValue || simulated == !string.IsNullOrEmpty(parse.GetValue(file)))
            {
                Console.Error.WriteLine(simulated ? "--format simulator takes --seed and no --file" : "--file is required (and --seed only with --format simulator)");
                return 2;
            }

            if (parse.GetValue(k) < 1 || parse.GetValue(resamples) < 0 || parse.GetValue(count) < 1)
            {
                Console.Error.WriteLine("--k and --count must be at least 1, --bootstrap at least 0");
                return 2;
            }

            var options = new EvaluateOptions
            {
                Model = parse.GetValue(model)!,
                File = parse.GetValue(file) ?? "",
                Format = replayFormat,
                SimulatorSeed = simulated ? parse.GetValue(seed) : null,
                SimulatorCount = parse.GetValue(count),
                LabelNoise = parse.GetValue(labelNoise),
                World = CommonOptions.WorldOf(parse.GetValue(world)),
                CardPrecisionK = parse.GetValue(k),
                Resamples = parse.GetValue(resamples),
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
