using FraudStream.Ingest.Conversion;
using FraudStream.Ingest.Replay;
using FraudStream.Ingest.Simulation;
using FraudStream.Scoring.Packaging;
using FraudStream.Testing;
using FraudStream.Training.Modeling;

namespace FraudStream.Training.Tests;

/// <summary>
/// `train --source jsonl` on a team's own history: the same history as a contract file gives the same model as the
/// built-in source (same rows, same data hash, same metrics).
/// </summary>
public sealed class OwnDataTrainingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fs-owndata-" + Guid.NewGuid().ToString("N"));

    public OwnDataTrainingTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void The_simulators_stream_as_json_lines_trains_the_same_model_as_the_simulator_source()
    {
        // Without label noise the file's labels are the truth the simulator source trains on.
        const int Seed = 5;
        const int Count = 30_000;
        var file = Path.Combine(_root, "history.jsonl.gz");
        JsonLinesWriter.WriteAll(file, new TransactionSimulator(new SimulatorOptions { Seed = Seed, LabelNoise = 0 }).Generate(Count));

        var builtIn = ModelTrainer.Train(Options("simulator", TrainingSource.Simulator, null, Seed, Count, labelNoise: 0), TextWriter.Null);
        var fromFile = ModelTrainer.Train(Options("jsonl", TrainingSource.JsonLines, file, Seed, Count), TextWriter.Null);

        AssertSameModel(builtIn, fromFile);
        Assert.Equal(0, fromFile.DataBadRows ?? 0);
    }

    [BankSimFileFact]
    public void BankSim_converted_with_the_documented_mapping_trains_the_same_model_as_the_banksim_source()
    {
        // docs/MODEL.md's mapping; steps are days from the BankSim reader's local midnight of day 0.
        string[] mapping =
        [
            "ts=step|days", "card=customer", "merchant=merchant", "category=category|strip-prefix:es_", "amount=amount",
            "currency=const:EUR", "country=const:ES", "channel=const:pos", "fraud=fraud",
        ];
        Assert.True(CsvMapping.TryParse(mapping, out var parsed, out var problems), string.Join("; ", problems));
        var converted = Path.Combine(_root, "banksim.jsonl.gz");
        var result = CsvConverter.Convert(BankSimFile.Find()!, converted, parsed,
            new CsvConvertOptions { Quote = '\'', IdPrefix = "bs", TimeOrigin = new DateTime(2026, 10, 31, 23, 0, 0, DateTimeKind.Utc) });
        Assert.True(result.Transactions > 450_000, $"{result.Transactions} converted, {result.Bad} bad"); // the bad ones: amounts of 0, as the BankSim reader counts them

        var builtIn = ModelTrainer.Train(Options("banksim", TrainingSource.BankSim, BankSimFile.Find(), 42, 300_000, trainBefore: "60"), TextWriter.Null);
        var fromFile = ModelTrainer.Train(Options("bs-jsonl", TrainingSource.JsonLines, converted, 42, 300_000, trainBefore: "60", stepOrigin: "2026-10-31T23:00:00Z"), TextWriter.Null);

        AssertSameModel(builtIn, fromFile);
    }

    private TrainOptions Options(string name, TrainingSource source, string? file, int seed, int count, double? labelNoise = null,
        string? trainBefore = null, string? stepOrigin = null) => new()
    {
        TrainBefore = trainBefore,
        StepOrigin = stepOrigin,
        Source = source,
        File = file,
        Seed = seed,
        Count = count,
        LabelNoise = labelNoise,
        NumberOfTrees = 30,
        ExportOnnx = false,
        Out = Path.Combine(_root, name),
    };

    private static void AssertSameModel(ModelPackage expected, ModelPackage actual)
    {
        Assert.Equal(expected.DataHash, actual.DataHash);
        Assert.Equal(expected.ValidationMetrics["pr_auc"], actual.ValidationMetrics["pr_auc"]);
        Assert.Equal(expected.TrainingMetrics["pr_auc"], actual.TrainingMetrics["pr_auc"]);
        Assert.Equal(expected.Thresholds.Review, actual.Thresholds.Review);
        Assert.Equal(expected.Thresholds.Decline, actual.Thresholds.Decline);
        Assert.True(expected.ValidationMetrics["pr_auc"] > 0.5, $"validation PR-AUC {expected.ValidationMetrics["pr_auc"]}");
    }
}
