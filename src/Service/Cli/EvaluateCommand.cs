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
