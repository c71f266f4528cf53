#:project ../../../src/Training/FraudStream.Training.csproj
#:property TreatWarningsAsErrors=true
#:property GenerateProgramFile=false
#:property IsTestProject=false
#:property PublishAot=false

// Which frauds does a package miss on a simulator world, and what do they look like? The simulator knows each fraud's
// scenario; an episode is "stealthy" when it happens within 50 km of the card's home (the hard world's imitating
// episodes; the others start in another city or country, as HardWorldTests counts them).
//   dotnet run tests/FraudStream.Training.Tests/Tools/ScenarioRecall.cs -- --model DIR --world hard --seed 7
//     --eval-from 2026-11-12T00:00:00Z [--count 150000] [--features name,name,...] [--first-apart 1]
// Prints PR-AUC, then per group (scenario x stealthy, legitimate split by device and channel): rows, recall at FPR
// 0.1 % and 1 %, PR-AUC with the group's frauds left out, PR-AUC were the group ranked perfectly; then each feature's
// median and the legitimate rows' share at or beyond it, per group.
using System.Globalization;
using FraudStream.Core.Contracts;
using FraudStream.Features.Schema;
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

var model = Need("model");
var world = Enum.Parse<SimulatorWorld>(options.GetValueOrDefault("world", "standard"), ignoreCase: true);
var seed = int.Parse(Need("seed"), CultureInfo.InvariantCulture);
var count = int.Parse(options.GetValueOrDefault("count", "150000"), CultureInfo.InvariantCulture);
var simulator = new TransactionSimulator(new SimulatorOptions { Seed = seed, World = world });
var groupOfTx = new Dictionary<string, string>(StringComparer.Ordinal);
var lastFraudOfCard = new Dictionary<string, DateTime>(StringComparer.Ordinal);
var firstApart = options.ContainsKey("first-apart");

IEnumerable<HistoryEvent> Events()
{
    foreach (var e in simulator.Generate(count))
    {
        if (e.IsTransaction)
        {
            if (e.IsFraud)
            {
                var tx = e.Transaction;
                var near = simulator.TryGetCardHome(tx.Card, out var lat, out var lon, out _) && DistanceKm(lat, lon, tx.Latitude, tx.Longitude) < 50;
                // --first-apart: the episode's first payment (no fraud of the card in the 24 h before) apart from the rest.
                var first = !lastFraudOfCard.TryGetValue(tx.Card, out var previous) || tx.Timestamp - previous >= TimeSpan.FromDays(1);
                lastFraudOfCard[tx.Card] = tx.Timestamp;
                groupOfTx[tx.Id] = e.Scenario + (near ? "/stealthy" : "/plain") + (firstApart ? first ? "/first" : "/later" : "");
            }

            yield return HistoryEvent.ForTransaction(e.Transaction, e.IsFraud);
        }
        else if (e.IsLabel)
        {
            yield return HistoryEvent.ForLabel(e.Label);
        }
    }
}

var rowGroups = new List<string>();
var table = FeatureTable.Build(Events(), recordFromBoundary: TimeBoundary.ParseOrNull(Need("eval-from"), "--eval-from"),
    onRow: (_, tx, features) => rowGroups.Add(groupOfTx.TryGetValue(tx.Id, out var g) ? g
        : "legit/" + (tx.Channel == PaymentChannel.Ecom ? features[FeatureSchema.CardFirstTimeDevice] == 1f ? "ecom-new-device" : "ecom" : "in-store")));
var labels = new bool[table.Count];
for (var i = 0; i < labels.Length; i++)
{
    labels[i] = table.Label(i);
}

var scores = ModelEvaluator.Score(model, ModelPackage.Load(model), table);
var at01 = BinaryMetrics.ThresholdForFpr(scores, labels, 0.001);
var at1 = BinaryMetrics.ThresholdForFpr(scores, labels, 0.01);
var all = BinaryMetrics.AveragePrecision(scores, labels);
Console.WriteLine(Invariant($"{world.ToString().ToLowerInvariant()} {seed} ({simulator.Options.Describe()}): {table.Count:N0} rows, {table.Frauds:N0} frauds, PR-AUC {all:F4}; thresholds FPR 0.1 % {at01:G4}, 1 % {at1:G4}"));
Console.WriteLine("group | rows | recall @ FPR 0.1 % | recall @ 1 % | flagged @ 0.1 % (legit: FP) | PR-AUC without the group | PR-AUC with it ranked perfectly");
var groups = rowGroups.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
foreach (var group in groups)
{
    var n = 0;
    var hit01 = 0;
    var hit1 = 0;
    var keptScores = new List<float>();
    var keptLabels = new List<bool>();
    var perfect = (float[])scores.Clone();
    for (var i = 0; i < scores.Length; i++)
    {
        var member = rowGroups[i] == group;
        if (member)
        {
            n++;
            hit01 += scores[i] >= at01 ? 1 : 0;
            hit1 += scores[i] >= at1 ? 1 : 0;
            if (labels[i])
            {
                perfect[i] = 2f;
            }
        }

        if (!member || !labels[i])
        {
            keptScores.Add(scores[i]);
            keptLabels.Add(labels[i]);
        }
    }

    var without = BinaryMetrics.AveragePrecision(keptScores.ToArray(), keptLabels.ToArray());
    var ranked = BinaryMetrics.AveragePrecision(perfect, labels);
    Console.WriteLine(Invariant($"{group} | {n:N0} | {(double)hit01 / n:F3} | {(double)hit1 / n:F3} | {hit01:N0} | {without:F4} | {ranked:F4}"));
}

var wanted = options.TryGetValue("features", out var list)
    ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    : [.. FeatureSchema.Names];
Console.WriteLine();
Console.WriteLine("feature medians per group (NaN share in brackets); legit share >= / <= the median beside fraud groups: how many legitimate rows look at least as extreme");
Console.WriteLine("feature | " + string.Join(" | ", groups));
var legitValues = new Dictionary<int, float[]>();
foreach (var name in wanted)
{
    var f = FeatureSchema.IndexOf(name);
    if (f < 0)
    {
        Console.WriteLine($"{name}: not in {FeatureSchema.Version}");
        continue;
    }

    var legit = new List<float>();
    for (var i = 0; i < scores.Length; i++)
    {
        if (!labels[i] && !float.IsNaN(table.Row(i)[f]))
        {
            legit.Add(table.Row(i)[f]);
        }
    }

    var legitSorted = legit.ToArray();
    Array.Sort(legitSorted);
    var line = new List<string>();
    foreach (var group in groups)
    {
        var values = new List<float>();
        var nan = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (rowGroups[i] != group)
            {
                continue;
            }

            var v = table.Row(i)[f];
            if (float.IsNaN(v))
            {
                nan++;
            }
            else
            {
                values.Add(v);
            }
        }

        if (values.Count == 0)
        {
            line.Add("NaN");
            continue;
        }

        values.Sort();
        var median = values[values.Count / 2];
        var nanShare = (double)nan / (nan + values.Count);
        if (group.StartsWith("legit/", StringComparison.Ordinal))
        {
            line.Add(Invariant($"{median:G4} [{nanShare:P0}]"));
        }
        else
        {
            // Share of legitimate rows at least as extreme as the group's median, on the side away from the legit median.
            var legitMedian = legitSorted.Length == 0 ? 0 : legitSorted[legitSorted.Length / 2];
            var atOrAbove = legitSorted.Length - LowerBound(legitSorted, median);
            var atOrBelow = UpperBound(legitSorted, median);
            var share = median >= legitMedian ? (double)atOrAbove / legitSorted.Length : (double)atOrBelow / legitSorted.Length;
            line.Add(Invariant($"{median:G4} [{nanShare:P0}] {(median >= legitMedian ? ">=" : "<=")}{share:P1}"));
        }
    }

    Console.WriteLine(name + " | " + string.Join(" | ", line));
}

static int LowerBound(float[] sorted, float value)
{
    int lo = 0, hi = sorted.Length;
    while (lo < hi)
    {
        var mid = (lo + hi) >>> 1;
        if (sorted[mid] < value)
        {
            lo = mid + 1;
        }
        else
        {
            hi = mid;
        }
    }

    return lo;
}

static int UpperBound(float[] sorted, float value)
{
    int lo = 0, hi = sorted.Length;
    while (lo < hi)
    {
        var mid = (lo + hi) >>> 1;
        if (sorted[mid] <= value)
        {
            lo = mid + 1;
        }
        else
        {
            hi = mid;
        }
    }

    return lo;
}

static double DistanceKm(double lat1, double lon1, double lat2, double lon2)
{
    const double EarthRadiusKm = 6371.0;
    var dLat = (lat2 - lat1) * Math.PI / 180;
    var dLon = (lon2 - lon1) * Math.PI / 180;
    var a = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2))
        + (Math.Cos(lat1 * Math.PI / 180) * Math.Cos(lat2 * Math.PI / 180) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
    return 2 * EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(a)));
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
