using FraudStream.Features.Schema;
using FraudStream.Scoring.Runtime;

namespace FraudStream.Scoring.Tests;

public sealed class ScoringServiceTests(TrainedModels models) : IClassFixture<TrainedModels>
{
    private static ScoringOptions Cpu() => new() { Device = ScoringDevice.Cpu, Graph = ScoringGraph.Tensor, MaxBatchSize = 64, MaxWaitMicros = 100 };

    [Fact]
    public void Without_a_model_scores_are_NaN_and_the_model_is_reported_unavailable()
    {
        using var service = new ScoringService(Cpu(), new TestLogger());
        var probabilities = new float[2];

        var scoredBy = service.Score(new float[2 * FeatureSchema.Count], 2, probabilities, out _);

        Assert.Same(ModelSnapshot.Unavailable, scoredBy);
        Assert.False(scoredBy.Available);
        Assert.Equal("none", scoredBy.Device);
        Assert.Equal("none", scoredBy.Version);
        Assert.True(float.IsNaN(scoredBy.ReviewThreshold) && float.IsNaN(scoredBy.DeclineThreshold));
        Assert.All(probabilities, p => Assert.True(float.IsNaN(p)));
    }

    [Fact]
    public void The_batcher_waits_only_where_merging_pays_unless_a_wait_is_configured()
    {
        Assert.Equal(ScoringOptions.DefaultCudaWaitMicros, new ScoringOptions().WaitMicrosFor("cuda"));
        Assert.Equal(0, new ScoringOptions().WaitMicrosFor("cpu"));
        Assert.Equal(0, new ScoringOptions().WaitMicrosFor("none"));
        Assert.Equal(100, Cpu().WaitMicrosFor("cuda"));

        using var configured = new ScoringService(Cpu(), new TestLogger());
        using var unset = new ScoringService(new ScoringOptions { Device = ScoringDevice.Cpu, Graph = ScoringGraph.Tensor, MaxBatchSize = 64 }, new TestLogger());
        configured.Swap(models.FastTreePackage);
        unset.Swap(models.FastTreePackage);

        Assert.Equal("cpu", unset.Current.Device);
        Assert.Equal(0, unset.Batcher.MaxWaitMicros);
        Assert.Equal(100, configured.Batcher.MaxWaitMicros);
    }

    [Fact]
    public void A_rejected_package_keeps_the_current_model()
    {
        using var service = new ScoringService(Cpu(), new TestLogger());
        service.Swap(models.FastTreePackage);

        var swapped = service.TrySwap(Path.Combine(models.Directory, "missing-package"), out var error);

        Assert.False(swapped);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
        Assert.True(service.Current.Available);
        Assert.Equal("fasttree-test", service.Current.Version);
    }

    [Fact]
    public void Hot_swap_under_load_loses_nothing_and_scores_every_row_with_the_snapshot_it_reports()
    {
        using var service = new ScoringService(Cpu(), new TestLogger());
        service.Swap(models.FastTreePackage);
        var matrix = TrainedModels.EvaluationMatrix(models.FastTree, seed: 41);
        var rowCount = matrix.Length / FeatureSchema.Count;
        var stop = 0;
        long submissions = 0, wrong = 0;
        var threads = Enumerable.Range(0, 6).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            var probabilities = new float[4];
            while (Volatile.Read(ref stop) == 0)
            {
                var first = random.Next(rowCount - 4);
                var rows = random.Next(1, 5);
                var scoredBy = service.Score(matrix.AsSpan(first * FeatureSchema.Count, rows * FeatureSchema.Count), rows, probabilities, out _);
                Interlocked.Increment(ref submissions);
                var reference = scoredBy.Version == "fasttree-test" ? models.FastTree : models.LightGbm;
                for (var r = 0; r < rows; r++)
                {
                    var features = matrix.AsSpan((first + r) * FeatureSchema.Count, FeatureSchema.Count);
                    if (!Close(probabilities[r], reference.Probability(features)))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());

        var versions = new List<string?>();
        for (var i = 0; i < 6; i++)
        {
            Thread.Sleep(30);
            service.Swap(i % 2 == 0 ? models.LightGbmPackage : models.FastTreePackage);
            versions.Add(service.Current.Version);
        }

        Thread.Sleep(30);
        Volatile.Write(ref stop, 1);
        threads.ForEach(t => t.Join());

        Assert.Equal(0, Interlocked.Read(ref wrong));
        Assert.Equal(0, service.FailedBatches);
        Assert.True(Interlocked.Read(ref submissions) > 100);
        Assert.Equal(["lightgbm-test", "fasttree-test", "lightgbm-test", "fasttree-test", "lightgbm-test", "fasttree-test"], versions);
    }

    private static bool Close(float actual, float expected) => Math.Abs(actual - expected) <= 1e-6;
}
