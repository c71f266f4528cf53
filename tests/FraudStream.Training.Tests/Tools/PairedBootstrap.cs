#:project ../../../src/Training/FraudStream.Training.csproj
#:property TreatWarningsAsErrors=true
#:property GenerateProgramFile=false
#:property IsTestProject=false
#:property PublishAot=false

// Is package B's PR-AUC above package A's on a world, or only inside the noise? Both score the same rows (one replay);
// the days are resampled with replacement and the difference is taken on each resample (paired), so a day that is hard
// for both counts once, where two separate intervals (`evaluate --bootstrap`) overlap even for a steady gain.
//   dotnet run tests/FraudStream.Training.Tests/Tools/PairedBootstrap.cs -- --baseline A --candidates B,C --world hard --seed 7
//     --eval-from 2026-11-12T00:00:00Z [--count 150000] [--resamples 1000]
// Prints, per candidate: PR-AUC of A and B on all days, B - A, its 95 % interval over the resamples, and the share of
// resamples where B > A.
using System.Globalization;
using FraudStream.Ingest.Simulation;
using FraudStream.Scoring.Packaging;
using FraudStream.Training.Data;
using FraudStream.Training.Evaluation;
using FraudStream.Training.Metrics;

var options = new Dictionary<string, string>();
for (var i = 0; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

string Need(string name) => options.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");
int IntOr(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

var baseline = Need("baseline");
var candidates = Need("candidates").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var world = Enum.Parse<SimulatorWorld>(options.GetValueOrDefault("world", "standard"), ignoreCase: true);
var seed = int.Parse(Need("seed"), CultureInfo.InvariantCulture);
var resamples = IntOr("resamples", 1000);
var history = HistorySources.Simulator(seed, IntOr("count", 150_000), world: world);
var table = FeatureTable.Build(history.Events, recordFromBoundary: TimeBoundary.ParseOrNull(Need("eval-from"), "--eval-from"));
var labels = new bool[table.Count];
for (var i = 0; i < labels.Length; i++)
{
    labels[i] = table.Label(i);
}

var days = ModelEvaluator.Days(table, null, out var dayNames);
float[] ScoresOf(string directory) => ModelEvaluator.Score(directory, ModelPackage.Load(directory), table);

var a = ScoresOf(baseline);
var orderA = BinaryMetrics.OrderByScore(a);
Console.WriteLine($"{world.ToString().ToLowerInvariant()} {seed}: {table.Count:N0} rows, {table.Frauds:N0} frauds, {dayNames.Length} days; {resamples} paired resamples of the days");
foreach (var candidate in candidates)
{
    var b = ScoresOf(candidate);
    var orderB = BinaryMetrics.OrderByScore(b);
    var random = new Random(20261204);
    var weightOfDay = new double[dayNames.Length];
    var differences = new double[resamples];
    for (var r = 0; r < resamples; r++)
    {
        Array.Clear(weightOfDay);
        for (var d = 0; d < dayNames.Length; d++)
        {
            weightOfDay[random.Next(dayNames.Length)]++;
        }

        differences[r] = BinaryMetrics.WeightedAucs(b, labels, orderB, days, weightOfDay).PrAuc
            - BinaryMetrics.WeightedAucs(a, labels, orderA, days, weightOfDay).PrAuc;
    }

    Array.Sort(differences);
    var prA = BinaryMetrics.AveragePrecision(a, labels);
    var prB = BinaryMetrics.AveragePrecision(b, labels);
    var above = differences.Count(d => d > 0) / (double)resamples;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {Path.GetFileName(Path.TrimEndingDirectorySeparator(candidate))} vs {Path.GetFileName(Path.TrimEndingDirectorySeparator(baseline))}: "
        + $"PR-AUC {prB:F3} vs {prA:F3}, difference {prB - prA:+0.000;-0.000} [{differences[(int)(0.025 * (resamples - 1))]:+0.000;-0.000}, "
        + $"{differences[(int)Math.Ceiling(0.975 * (resamples - 1))]:+0.000;-0.000}], B > A in {above:P1} of resamples"));
}
