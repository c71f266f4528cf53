using FraudStream.Ingest.Simulation;
using FraudStream.Scoring.Packaging;
using FraudStream.Training.Data;
using FraudStream.Training.Modeling;
using FraudStream.Training.Progress;

namespace FraudStream.Training.Tests;

/// <summary><c>train --seeds</c>: several simulator worlds pooled, each replayed alone and split by time on its own.</summary>
public sealed class PooledWorldsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fs-pooled-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void Every_world_is_replayed_alone_and_its_later_rows_validate()
    {
        const int Count = 8_000;
        int[] seeds = [3, 4, 5];
        var options = new TrainOptions { Seeds = seeds, Count = Count, World = SimulatorWorld.Hard };

        using var progress = ProgressDisplay.None;
        var pool = WorldPool.Build(options, TextWriter.Null, progress);

        var alone = seeds.Select(s => FeatureTable.Build(HistorySources.Simulator(s, Count, world: SimulatorWorld.Hard).Events)).ToList();
        Assert.Equal(seeds, pool.Worlds.Select(w => w.Seed));
        Assert.Equal(alone.Sum(t => t.Count), pool.Table.Count);
        Assert.Equal(alone.Sum(t => t.Frauds), pool.Table.Frauds);
        Assert.Equal(pool.Worlds.Sum(w => w.TrainCount), pool.TrainCount);
        for (var w = 0; w < seeds.Length; w++)
        {
            var world = pool.Worlds[w];
            var table = alone[w];
            Assert.Equal((int)(table.Count * 0.8), world.TrainCount);
            Assert.Equal(table.Count, world.TrainCount + world.ValidationCount);
            // The same rows as the world replayed on its own: no card, merchant or label of another world reached its features.
            Assert.Equal(table.Hash(0, world.TrainCount), pool.Table.Hash(world.TrainStart, world.TrainCount));
            Assert.Equal(table.Hash(world.TrainCount, world.ValidationCount), pool.Table.Hash(world.ValidationStart, world.ValidationCount));
            // Training rows come before the split, validation rows after it, and each world's validation is later than its training.
            Assert.True(world.TrainStart + world.TrainCount <= pool.TrainCount);
            Assert.True(world.ValidationStart >= pool.TrainCount);
            var lastTrained = Enumerable.Range(world.TrainStart, world.TrainCount).Max(pool.Table.Time);
            var firstValidated = Enumerable.Range(world.ValidationStart, world.ValidationCount).Min(pool.Table.Time);
            Assert.True(lastTrained <= firstValidated, $"seed {world.Seed}: trained up to {lastTrained:O}, validated from {firstValidated:O}");
        }
    }

    [Fact]
    public void A_pooled_package_records_its_worlds_in_model_json()
    {
        var options = new TrainOptions
        {
            Seed = 3, Seeds = [3, 4], Count = 20_000, NumberOfTrees = 20, Trainer = TrainerKind.FastTree, Out = Path.Combine(_root, "pooled"),
        };
        var trained = ModelTrainer.Train(options, TextWriter.Null);
        var loaded = ModelPackage.Load(options.Out);

        Assert.NotNull(loaded.TrainingWorlds);
        Assert.Equal([3, 4], loaded.TrainingWorlds.Select(w => w.Seed));
        Assert.All(loaded.TrainingWorlds, w => Assert.Equal("standard", w.World));
        Assert.Equal(3, loaded.Seed);
        Assert.Equal(trained.DataHash, loaded.DataHash);
        Assert.Equal(loaded.TrainingMetrics["rows"], loaded.TrainingWorlds.Sum(w => w.TrainingRows));
        Assert.Equal(loaded.ValidationMetrics["rows"], loaded.TrainingWorlds.Sum(w => w.ValidationRows));
        Assert.Equal(loaded.ValidationMetrics["frauds"], loaded.TrainingWorlds.Sum(w => w.ValidationFrauds));
        Assert.All(loaded.TrainingWorlds, w => Assert.Equal(16_000, w.TrainingRows));
        Assert.Contains("seed=3 ", loaded.DataSource, StringComparison.Ordinal);
        Assert.Contains("seed=4 ", loaded.DataSource, StringComparison.Ordinal);
        // Each world validates from its own 80 % by time, as when it is trained alone.
        for (var w = 0; w < 2; w++)
        {
            var alone = FeatureTable.Build(HistorySources.Simulator(3 + w, 20_000).Events);
            Assert.Equal(alone.Time(16_000), loaded.TrainingWorlds[w].ValidationFrom);
        }

        // One world keeps model.json as before.
        var single = ModelTrainer.Train(new TrainOptions { Seed = 3, Count = 20_000, NumberOfTrees = 20, Trainer = TrainerKind.FastTree, Out = Path.Combine(_root, "one") }, TextWriter.Null);
        Assert.Null(ModelPackage.Load(Path.Combine(_root, "one")).TrainingWorlds);
        Assert.NotEqual(single.DataHash, trained.DataHash);
    }

    [Theory]
    [InlineData("42,43,44,45", new[] { 42, 43, 44, 45 })]
    [InlineData("42..45", new[] { 42, 43, 44, 45 })]
    [InlineData(" 1, 5..7 ", new[] { 1, 5, 6, 7 })]
    [InlineData("-2..-1", new[] { -2, -1 })]
    public void Seeds_parse_as_lists_and_ranges(string text, int[] expected)
    {
        Assert.True(TrainOptions.TryParseSeeds(text, out var seeds, out var problem), problem);
        Assert.Equal(expected, seeds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("42,,43")]
    [InlineData("42..41")]
    [InlineData("1..17")]
    [InlineData("x")]
    [InlineData("2147483647..2147483648")]
    public void Seeds_that_do_not_parse_say_why(string text)
    {
        Assert.False(TrainOptions.TryParseSeeds(text, out _, out var problem));
        Assert.StartsWith("--seeds: ", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Seeds_are_validated_with_clear_errors()
    {
        Assert.Null(new TrainOptions { Seeds = [42, 43] }.Problem());
        Assert.Equal("--seeds lists a seed twice (the same world would only weigh double)", new TrainOptions { Seeds = [42, 43, 42] }.Problem());
        Assert.Equal($"--seeds takes 1 to {TrainOptions.MaxWorlds} seeds", new TrainOptions { Seeds = [] }.Problem());
        Assert.Equal($"--seeds takes 1 to {TrainOptions.MaxWorlds} seeds", new TrainOptions { Seeds = [.. Enumerable.Range(1, TrainOptions.MaxWorlds + 1)] }.Problem());
        Assert.Equal(
            "--seeds is for --source simulator (one world per seed)",
            new TrainOptions { Source = TrainingSource.BankSim, File = "bs.csv", Seeds = [1, 2] }.Problem());
        var error = Assert.Throws<ArgumentException>(() => ModelTrainer.Train(new TrainOptions { Seeds = [1, 1], Out = Path.Combine(_root, "x") }, TextWriter.Null));
        Assert.Contains("twice", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "x")));
    }
}
