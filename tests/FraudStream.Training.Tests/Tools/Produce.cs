#:project ../../../src/Training/FraudStream.Training.csproj
#:property TreatWarningsAsErrors=true
#:property GenerateProgramFile=false
#:property IsTestProject=false
#:property PublishAot=false

// Stand-in for the CLI verbs until the lead wires them (same options, same library calls):
//   dotnet run tests/FraudStream.Training.Tests/Tools/Produce.cs -- train --source simulator --seed 42 --out data/model
//   dotnet run tests/FraudStream.Training.Tests/Tools/Produce.cs -- simulate --seed 7 --count 150000 --out /tmp/sim.jsonl.gz
//   dotnet run tests/FraudStream.Training.Tests/Tools/Produce.cs -- evaluate --model data/model --file F --format jsonl --eval-from T --json-report R
using FraudStream.Ingest.Replay;
using FraudStream.Ingest.Simulation;
using FraudStream.Training.Evaluation;
using FraudStream.Training.Modeling;

var verb = args.Length > 0 ? args[0] : "";
var options = new Dictionary<string, string>();
for (var i = 1; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

string? Get(string name) => options.TryGetValue(name, out var v) ? v : null;

switch (verb)
{
    case "train":
        ModelTrainer.Train(new TrainOptions
        {
            Source = Enum.Parse<TrainingSource>(Get("source") ?? "simulator", ignoreCase: true),
            File = Get("file"),
            Seed = int.Parse(Get("seed") ?? "42"),
            Count = int.Parse(Get("count") ?? "300000"),
            Out = Get("out") ?? "model",
            Trainer = Enum.Parse<TrainerKind>(Get("trainer") ?? "FastTree", ignoreCase: true),
            TrainBefore = Get("train-before"),
        }, Console.Out);
        break;
    case "simulate":
        var written = JsonLinesWriter.WriteAll(Get("out")!, new TransactionSimulator(new SimulatorOptions { Seed = long.Parse(Get("seed") ?? "7") })
            .Generate(int.Parse(Get("count") ?? "150000")));
        Console.WriteLine($"{written.Transactions} transactions, {written.Labels} labels");
        break;
    case "evaluate":
        ReplaySources.TryParseFormat(Get("format") ?? "banksim", out var format);
        ModelEvaluator.Evaluate(new EvaluateOptions
        {
            Model = Get("model")!,
            File = Get("file")!,
            Format = format,
            EvalFrom = Get("eval-from"),
            JsonReport = Get("json-report"),
        }, Console.Out);
        break;
    default:
        Console.Error.WriteLine("verbs: train, simulate, evaluate");
        return 2;
}

return 0;
