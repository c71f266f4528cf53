using FraudStream.Core.Telemetry;
using FraudStream.Features.Schema;
using FraudStream.Scoring.Batching;
using FraudStream.Scoring.Runtime;

namespace FraudStream.Scoring.Tests;

/// <summary>The challenger in <see cref="ScoringService"/>: the batcher's shadow lane, its budget, its skips, its promotion.</summary>
public sealed class ChallengerScoringTests(TrainedModels models) : IClassFixture<TrainedModels>
{
    private static ScoringOptions Cpu(int budgetMicros = 10_000_000, int cooldownMs = 1000) => new()
    {
        Device = ScoringDevice.Cpu, Graph = ScoringGraph.Tensor, MaxBatchSize = 64, ChallengerBudgetMicros = budgetMicros, ChallengerCooldownMs = cooldownMs,
    };

    [Fact]
    public void The_challenger_scores_the_same_rows_as_its_own_model_and_the_champion_s_scores_do_not_change()
    {
        using var service = new ScoringService(Cpu(), new TestLogger());
        service.Swap(models.FastTreePackage);
        service.SetChallenger(ModelSnapshot.Load(models.LightGbmPackage, Cpu(), new TestLogger()));
        var matrix = TrainedModels.EvaluationMatrix(models.FastTree, seed: 7);
        const int rows = 50;
        var champion = new float[rows];
        var challenger = new float[rows];

        var scoredBy = service.Score(matrix.AsSpan(0, rows * FeatureSchema.Count), rows, champion, challenger, out var shadowBy, out var timing);

        Assert.Equal("fasttree-test", scoredBy.Version);
        Assert.Equal("lightgbm-test", shadowBy?.Version);
        Assert.True(timing.ShadowMicros > 0 && timing.ComputeMicros >= timing.ShadowMicros);
        for (var r = 0; r < rows; r++)
        {
            var features = matrix.AsSpan(r * FeatureSchema.Count, FeatureSchema.Count);
            Assert.Equal(models.FastTree.Probability(features), champion[r], 1e-6f);
            Assert.Equal(models.LightGbm.Probability(features), challenger[r], 1e-6f);
        }

        var telemetry = service.ChallengerNow("scoring", null, null);
        Assert.Equal(rows, telemetry.ScoredRows);
        Assert.Equal(1, telemetry.Batches);
    }

    [Fact]
    public void A_challenger_over_its_budget_keeps_the_batch_it_ran_then_sits_out_the_cooldown_counted()
    {
        using var service = new ScoringService(Cpu(budgetMicros: 1, cooldownMs: 60_000), new TestLogger());
        service.Swap(models.FastTreePackage);
        service.SetChallenger(ModelSnapshot.Load(models.LightGbmPackage, Cpu(), new TestLogger()));
        var matrix = TrainedModels.EvaluationMatrix(models.FastTree, seed: 8);
        var champion = new float[10];
        var challenger = new float[10];

        service.Score(matrix.AsSpan(0, 10 * FeatureSchema.Count), 10, champion, challenger, out var first, out _);
        service.Score(matrix.AsSpan(0, 10 * FeatureSchema.Count), 10, champion, challenger, out var second, out _);
        service.Score(matrix.AsSpan(0, 4 * FeatureSchema.Count), 4, champion, challenger, out var third, out var timing);

        Assert.NotNull(first); // a model cannot score 10 rows in 1 µs: over budget, but already paid for
        Assert.Null(second);
        Assert.Null(third);
        Assert.Equal(0, timing.ShadowMicros);
        var telemetry = service.ChallengerNow("scoring", null, null);
        Assert.Equal(1, telemetry.OverBudgetBatches);
        Assert.Equal(10, telemetry.ScoredRows);
        Assert.Equal(14, telemetry.Skipped(ChallengerSkip.OverBudget));
        Assert.Equal(0, telemetry.Skipped(ChallengerSkip.Load) + telemetry.Skipped(ChallengerSkip.Error));
    }

    [Fact]
    public void Promote_swaps_the_challenger_in_as_champion_and_leaves_no_challenger()
    {
        using var service = new ScoringService(Cpu(), new TestLogger());
        service.Swap(models.FastTreePackage);
        Assert.False(service.Promote(out _, out _)); // nothing to promote
        service.SetChallenger(ModelSnapshot.Load(models.LightGbmPackage, Cpu(), new TestLogger()));

        Assert.True(service.Promote(out var from, out var to));

        Assert.Equal(("fasttree-test", "lightgbm-test"), (from, to));
        Assert.Equal("lightgbm-test", service.Current.Version);
        Assert.Null(service.Challenger);
        var matrix = TrainedModels.EvaluationMatrix(models.LightGbm, seed: 9);
        var scores = new float[3];
        var scoredBy = service.Score(matrix.AsSpan(0, 3 * FeatureSchema.Count), 3, scores, new float[3], out var shadow, out _);
        Assert.Equal("lightgbm-test", scoredBy.Version);
        Assert.Null(shadow);
        Assert.Equal(models.LightGbm.Probability(matrix.AsSpan(0, FeatureSchema.Count)), scores[0], 1e-6f);
    }

    [Fact]
    public void The_shadow_runs_after_the_primary_on_its_rows_and_sees_the_submissions_waiting_behind_the_batch()
    {
        using var release = new ManualResetEventSlim();
        var executor = new GatedExecutor(release);
        using var batcher = new MicroBatcher<object>(executor, 2, maxBatchSize: 1, maxWaitMicros: 0);
        executor.Batcher = batcher;
        var threads = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            var shadow = new float[1];
            batcher.Score([i, 1f], 1, new float[1], shadow, out _, out var shadowBy);
            Assert.Same(GatedExecutor.Shadow, shadowBy);
            Assert.Equal(-(i + 1f), shadow[0]);
        })).ToList();
        threads.ForEach(t => t.Start());
        SpinWait.SpinUntil(() => executor.Entered == 1, TimeSpan.FromSeconds(10));
        Thread.Sleep(200); // the other three queue behind the first batch (one row each: one batch each)
        release.Set();
        threads.ForEach(t => t.Join());

        Assert.Equal(3, executor.WaitingSeenByFirstShadow);
        Assert.Equal(0, executor.WaitingSeenByLastShadow);
    }

    /// <summary>Holds the first batch until released; the shadow scores minus the row's sum and notes what waits.</summary>
    private sealed class GatedExecutor(ManualResetEventSlim release) : IBatchExecutor<object>
    {
        public static readonly object Primary = new();
        public static readonly object Shadow = new();
        private int _shadows;

        public MicroBatcher<object>? Batcher { get; set; }

        public int Entered;

        public int WaitingSeenByFirstShadow { get; private set; } = -1;

        public int WaitingSeenByLastShadow { get; private set; } = -1;

        public object Execute(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities)
        {
            if (Interlocked.Increment(ref Entered) == 1)
            {
                release.Wait();
            }

            probabilities[0] = featuresRowMajor[0] + featuresRowMajor[1];
            return Primary;
        }

        public object? ExecuteShadow(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> shadowProbabilities)
        {
            var waiting = Batcher!.WaitingSubmissions;
            if (++_shadows == 1)
            {
                WaitingSeenByFirstShadow = waiting;
            }

            WaitingSeenByLastShadow = waiting;
            shadowProbabilities[0] = -(featuresRowMajor[0] + featuresRowMajor[1]);
            return Shadow;
        }
    }
}
