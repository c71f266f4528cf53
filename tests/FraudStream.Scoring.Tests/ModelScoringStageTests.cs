using FraudStream.Core.Stages;
using FraudStream.Features.Schema;
using FraudStream.Scoring.Packaging;
using FraudStream.Scoring.Runtime;
using FraudStream.Scoring.Stage;
using FraudStream.Scoring.Trees;
using FraudStream.Training.Compilation;

namespace FraudStream.Scoring.Tests;

/// <summary>
/// The stage's hot swap as the pipeline sees it: two packages with different trees, versions and thresholds are
/// installed in turn into the one watched directory while workers score.
/// </summary>
public sealed class ModelScoringStageTests : IDisposable
{
    private static readonly DateTime FirstInstall = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly string _root = Directory.CreateTempSubdirectory("fs-stage-").FullName;
    private readonly Package _a;
    private readonly Package _b;
    private readonly string _watched;
    private int _installs;

    public ModelScoringStageTests()
    {
        _a = Package.Create(Path.Combine(_root, "a"), seed: 1, review: 0.2f, decline: 0.7f);
        _b = Package.Create(Path.Combine(_root, "b"), seed: 2, review: 0.4f, decline: 0.9f);
        _watched = Directory.CreateDirectory(Path.Combine(_root, "watched")).FullName;
    }

    [Fact]
    public void Every_batch_carries_the_thresholds_and_version_of_the_package_that_scored_it_while_packages_swap()
    {
        Install(_a);
        using var stage = Stage();
        Assert.Equal(_a.Version, stage.Current.Version);
        var matrix = Rows(seed: 5, count: 2_000);
        var stop = 0;
        long submissions = 0, wrong = 0, scoredByA = 0, scoredByB = 0;
        var workers = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            var scores = new float[8];
            while (Volatile.Read(ref stop) == 0)
            {
                var rows = random.Next(1, 9);
                var first = random.Next(2_000 - rows);
                var features = matrix.AsSpan(first * FeatureSchema.Count, rows * FeatureSchema.Count);
                var model = stage.Score(features, rows, scores, out _, out _);
                var package = model.Version == _a.Version ? _a : model.Version == _b.Version ? _b : null;
                if (package == _a)
                {
                    Interlocked.Increment(ref scoredByA);
                }
                else if (package == _b)
                {
                    Interlocked.Increment(ref scoredByB);
                }

                if (package is null || !package.Matches(model) || !package.Scored(features, rows, scores))
                {
                    Interlocked.Increment(ref wrong);
                }

                Interlocked.Increment(ref submissions);
            }
        })).ToList();
        workers.ForEach(t => t.Start());

        for (var swap = 0; swap < 10; swap++)
        {
            // Let the workers score a while on each package before the next one is installed.
            var seen = Interlocked.Read(ref submissions);
            SpinWait.SpinUntil(() => Interlocked.Read(ref submissions) >= seen + 50);
            var next = swap % 2 == 0 ? _b : _a;
            Install(next);
            stage.Refresh();
            Assert.Equal(next.Version, stage.Current.Version);
        }

        Volatile.Write(ref stop, 1);
        workers.ForEach(t => t.Join());
        Assert.Equal(0, Interlocked.Read(ref wrong));
        Assert.True(Interlocked.Read(ref scoredByA) > 0 && Interlocked.Read(ref scoredByB) > 0, "both packages scored batches");
    }

    [Fact]
    public void A_package_that_fails_to_load_keeps_the_previous_snapshot_whole_and_loads_once_fixed()
    {
        Install(_a);
        var logger = new TestLogger();
        using var stage = Stage(logger);
        var row = Rows(seed: 9, count: 1);

        // b's model and manifest arrive with a broken trees.json.
        Install(_b);
        File.WriteAllText(Path.Combine(_watched, TreeEnsembleModel.FileName), "{ not trees");
        File.SetLastWriteTimeUtc(Path.Combine(_watched, TreeEnsembleModel.FileName), FirstInstall.AddDays(1));
        stage.Refresh();
        stage.Refresh();

        AssertScoresWith(stage, _a, row);
        Assert.Single(logger.Entries, e => e.Message.Contains("rejected", StringComparison.Ordinal));

        // Only trees.json is fixed; model.json is as it was at the failed attempt.
        File.Copy(Path.Combine(_b.Directory, TreeEnsembleModel.FileName), Path.Combine(_watched, TreeEnsembleModel.FileName), overwrite: true);
        stage.Refresh();

        AssertScoresWith(stage, _b, row);
    }

    [Fact]
    public void Running_without_a_model_is_said_at_start_and_scores_NaN_with_no_thresholds()
    {
        var logger = new TestLogger();
        using var stage = new ModelScoringStage(Options(ScoringOptions.NoModel), logger, TimeSpan.Zero);
        var scores = new float[2];

        var model = stage.Score(new float[2 * FeatureSchema.Count], 2, scores, out _, out _);

        Assert.False(model.Available);
        Assert.Equal("none", model.Version);
        Assert.True(float.IsNaN(model.ReviewThreshold) && float.IsNaN(model.DeclineThreshold));
        Assert.All(scores, s => Assert.True(float.IsNaN(s)));
        Assert.True(logger.Warned("without a model (--model none)"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static void AssertScoresWith(ModelScoringStage stage, Package package, float[] row)
    {
        var scores = new float[1];
        var model = stage.Score(row, 1, scores, out _, out _);
        Assert.Equal(package.Version, model.Version);
        Assert.True(package.Matches(model), $"thresholds {model.ReviewThreshold}/{model.DeclineThreshold} are not {package.Version}'s");
        Assert.True(package.Scored(row, 1, scores), $"score {scores[0]} is not {package.Version}'s");
        Assert.Same(model, stage.Current);
    }

    private static ScoringOptions Options(string modelDirectory) => new()
    {
        ModelDirectory = modelDirectory,
        Device = ScoringDevice.Cpu,
        Graph = ScoringGraph.Tensor,
        MaxBatchSize = 16,
        MaxWaitMicros = 50,
    };

    private ModelScoringStage Stage(TestLogger? logger = null) => new(Options(_watched), logger ?? new TestLogger(), TimeSpan.Zero);

    /// <summary>Copies a package over the watched one; every install gets its own write time, as a deploy would.</summary>
    private void Install(Package package)
    {
        var written = FirstInstall.AddMinutes(++_installs);
        foreach (var file in Directory.GetFiles(package.Directory))
        {
            var target = Path.Combine(_watched, Path.GetFileName(file));
            File.Copy(file, target, overwrite: true);
            File.SetLastWriteTimeUtc(target, written);
        }
    }

    private static float[] Rows(int seed, int count)
    {
        var random = new Random(seed);
        var rows = new float[count * FeatureSchema.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = (float)((random.NextDouble() * 4) - 2);
        }

        return rows;
    }

    /// <summary>A synthetic package and its own reference scorer (the trees, evaluated in .NET).</summary>
    private sealed class Package(string directory, string version, float review, float decline, TreeEnsembleModel trees)
    {
        public string Directory { get; } = directory;

        public string Version { get; } = version;

        public static Package Create(string directory, int seed, float review, float decline)
        {
            SyntheticPackage.Create(directory, trees: 40, depth: 4, seed: seed);
            var manifest = ModelPackage.Load(directory);
            manifest.Thresholds = new ThresholdInfo { Review = review, Decline = decline };
            manifest.Save(directory);
            return new Package(directory, manifest.ModelVersion, review, decline, TreeEnsembleModel.Load(Path.Combine(directory, TreeEnsembleModel.FileName)));
        }

        public bool Matches(IModelSnapshot model) =>
            model.Available && model.ReviewThreshold == review && model.DeclineThreshold == decline;

        public bool Scored(ReadOnlySpan<float> features, int rows, ReadOnlySpan<float> scores)
        {
            for (var r = 0; r < rows; r++)
            {
                if (Math.Abs(scores[r] - trees.Probability(features.Slice(r * FeatureSchema.Count, FeatureSchema.Count))) > 1e-5)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
