using FraudStream.Training.Data;
using FraudStream.Training.Progress;

namespace FraudStream.Training.Modeling;

/// <summary>Where one pooled world's rows sit in the pooled table (training part, then validation part).</summary>
public sealed record WorldRows(
    int Seed, string Description, int TrainStart, int TrainCount, int ValidationStart, int ValidationCount, int Frauds, int ValidationFrauds);

/// <summary>
/// Several simulator worlds as one training set: every world's earlier part first (world by world), then every world's
/// later part, so <see cref="TrainCount"/> splits the table where each world splits by time.
/// </summary>
public sealed record PooledTable(FeatureTable Table, int TrainCount, IReadOnlyList<WorldRows> Worlds, string Description);

/// <summary>
/// <c>train --seeds</c>: one simulator world per seed. Each is replayed through its own feature state (as if it were
/// the only one: no card, merchant or label reaches another world's features) and split by time on its own — the later
/// <see cref="TrainOptions.ValidationFraction"/> of each world validates — so thresholds, calibration and the
/// <c>auto</c> choice are made on later data of every world, not on the last world alone.
/// </summary>
public static class WorldPool
{
    /// <summary>Fewest rows of a world on either side of its split.</summary>
    public const int MinRowsPerPart = 100;

    public static PooledTable Build(TrainOptions options, TextWriter log, ProgressDisplay progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(progress);
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException(problem);
        }

        if (options.Source != TrainingSource.Simulator)
        {
            throw new ArgumentException("pooled worlds are simulator worlds (--source simulator)");
        }

        var trainBefore = TimeBoundary.ParseOrNull(options.TrainBefore, "--train-before");
        var seeds = options.WorldSeeds;
        var tables = new List<(FeatureTable Table, int TrainCount, string Description)>(seeds.Count);
        foreach (var seed in seeds)
        {
            var history = HistorySources.Simulator(seed, options.Count, options.LabelNoise, options.World);
            progress.Begin($"replay world {tables.Count + 1}/{seeds.Count} (seed {seed}) through the features");
            var table = FeatureTable.Build(progress.Counting(history.Events), stopAtBoundary: trainBefore, stepOrigin: history.StepOrigin);
            progress.End();
            var trainCount = ModelTrainer.TrainCountOf(table, options);
            if (trainCount < MinRowsPerPart || table.Count - trainCount < MinRowsPerPart)
            {
                throw new InvalidOperationException($"world seed {seed}: too few rows to train and validate: {table.Count}");
            }

            log.WriteLine($"world seed {seed}: {table.Count:N0} rows, {table.Frauds:N0} frauds ({history.Description})");
            tables.Add((table, trainCount, history.Description));
        }

        var worlds = new List<WorldRows>(tables.Count);
        var trainStart = 0;
        var validationStart = tables.Sum(t => t.TrainCount);
        for (var w = 0; w < tables.Count; w++)
        {
            var (table, trainCount, description) = tables[w];
            var validationCount = table.Count - trainCount;
            var validationFrauds = 0;
            for (var i = trainCount; i < table.Count; i++)
            {
                validationFrauds += table.Label(i) ? 1 : 0;
            }

            worlds.Add(new WorldRows(seeds[w], description, trainStart, trainCount, validationStart, validationCount, table.Frauds, validationFrauds));
            trainStart += trainCount;
            validationStart += validationCount;
        }

        var pooled = FeatureTable.Concatenate(
            tables.Select(t => (t.Table, 0, t.TrainCount)).Concat(tables.Select(t => (t.Table, t.TrainCount, t.Table.Count - t.TrainCount))));
        var pooledDescription = $"{seeds.Count} simulator worlds pooled: " + string.Join("; ", tables.Select(t => t.Description));
        return new PooledTable(pooled, worlds.Sum(w => w.TrainCount), worlds, pooledDescription);
    }
}
