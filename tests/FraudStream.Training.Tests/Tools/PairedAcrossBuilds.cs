#:project ../../../src/Training/FraudStream.Training.csproj
#:property TreatWarningsAsErrors=true
#:property GenerateProgramFile=false
#:property IsTestProject=false
#:property PublishAot=false

// PairedBootstrap for packages of different feature schemas: each build scores the rows with its own features and
// writes (day, truth, score) per row; the rows are the same (same history, same --eval-from, replayed in the same
// order), so the days can be resampled once for both, as PairedBootstrap does within one build.
//   dotnet run tests/FraudStream.Training.Tests/Tools/PairedAcrossBuilds.cs -- score --model DIR --out F.bin
//     (--world hard --seed 7 --eval-from T [--count 150000] | --file CSV --format banksim --eval-from 120)
//   dotnet run tests/FraudStream.Training.Tests/Tools/PairedAcrossBuilds.cs -- compare --baseline A.bin --candidate B.bin [--resamples 1000]
using System.Globalization;
using FraudStream.Ingest.Replay;
using FraudStream.Ingest.Simulation;
using FraudStream.Scoring.Packaging;
using FraudStream.Training.Data;
using FraudStream.Training.Evaluation;
using FraudStream.Training.Metrics;

var verb = args.Length > 0 ? args[0] : "";
var options = new Dictionary<string, string>();
for (var i = 1; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

string Need(string name) => options.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");

if (verb == "score")
{
    var model = Need("model");
    var history = options.TryGetValue("file", out var file)
        ? HistorySources.File(ReplaySources.TryParseFormat(options.GetValueOrDefault("format", "banksim"), out var format) ? format : ReplayFormat.BankSim, file)
        : HistorySources.Simulator(int.Parse(Need("seed"), CultureInfo.InvariantCulture),
            int.Parse(options.GetValueOrDefault("count", "150000"), CultureInfo.InvariantCulture),
            world: Enum.Parse<SimulatorWorld>(options.GetValueOrDefault("world", "standard"), ignoreCase: true));
    var table = FeatureTable.Build(history.Events, recordFromBoundary: TimeBoundary.ParseOrNull(Need("eval-from"), "--eval-from"), stepOrigin: history.StepOrigin);
    var scores = ModelEvaluator.Score(model, ModelPackage.Load(model), table);
    var days = ModelEvaluator.Days(table, history.StepOrigin, out _);
    using var output = new BinaryWriter(File.Create(Need("out")));
    output.Write(table.Count);
    for (var i = 0; i < table.Count; i++)
    {
        output.Write(days[i]);
        output.Write(table.Label(i));
        output.Write(scores[i]);
        output.Write(table.Time(i).Ticks);
    }

    Console.WriteLine($"{table.Count:N0} rows, {table.Frauds:N0} frauds scored by {model}: PR-AUC {BinaryMetrics.AveragePrecision(scores, Labels(table)).ToString("F4", CultureInfo.InvariantCulture)}");
    return;
}

if (verb != "compare")
{
    Console.Error.WriteLine("usage: score ... | compare ...");
    Environment.Exit(2);
}

var (daysA, labelsA, a, ticksA) = Read(Need("baseline"));
var (daysB, labelsB, b, ticksB) = Read(Need("candidate"));
if (!daysA.AsSpan().SequenceEqual(daysB) || !labelsA.AsSpan().SequenceEqual(labelsB) || !ticksA.AsSpan().SequenceEqual(ticksB))
{
    Console.Error.WriteLine("the two files do not hold the same rows (days, truth and times differ)");
    Environment.Exit(1);
}

var resamples = int.Parse(options.GetValueOrDefault("resamples", "1000"), CultureInfo.InvariantCulture);
var dayCount = daysA.Max() + 1;
var orderA = BinaryMetrics.OrderByScore(a);
var orderB = BinaryMetrics.OrderByScore(b);
var random = new Random(20261204);
var weightOfDay = new double[dayCount];
var differences = new double[resamples];
for (var r = 0; r < resamples; r++)
{
    Array.Clear(weightOfDay);
    for (var d = 0; d < dayCount; d++)
    {
        weightOfDay[random.Next(dayCount)]++;
    }

    differences[r] = BinaryMetrics.WeightedAucs(b, labelsA, orderB, daysA, weightOfDay).PrAuc
        - BinaryMetrics.WeightedAucs(a, labelsA, orderA, daysA, weightOfDay).PrAuc;
}

Array.Sort(differences);
var prA = BinaryMetrics.AveragePrecision(a, labelsA);
var prB = BinaryMetrics.AveragePrecision(b, labelsA);
var above = differences.Count(d => d > 0) / (double)resamples;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{Path.GetFileName(Need("candidate"))} vs {Path.GetFileName(Need("baseline"))} ({a.Length:N0} rows, {dayCount} days): PR-AUC {prB:F4} vs {prA:F4}, difference {prB - prA:+0.000;-0.000} "
    + $"[{differences[(int)(0.025 * (resamples - 1))]:+0.000;-0.000}, {differences[(int)Math.Ceiling(0.975 * (resamples - 1))]:+0.000;-0.000}], B > A in {above:P1} of {resamples} resamples"));

static bool[] Labels(FeatureTable table)
{
    var labels = new bool[table.Count];
    for (var i = 0; i < labels.Length; i++)
    {
        labels[i] = table.Label(i);
    }

    return labels;
}

static (int[] Days, bool[] Labels, float[] Scores, long[] Ticks) Read(string path)
{
    using var input = new BinaryReader(File.OpenRead(path));
    var n = input.ReadInt32();
    var days = new int[n];
    var labels = new bool[n];
    var scores = new float[n];
    var ticks = new long[n];
    for (var i = 0; i < n; i++)
    {
        days[i] = input.ReadInt32();
        labels[i] = input.ReadBoolean();
        scores[i] = input.ReadSingle();
        ticks[i] = input.ReadInt64();
    }

    return (days, labels, scores, ticks);
}
