using FraudStream.Features.Schema;
using FraudStream.Scoring.Explain;
using FraudStream.Scoring.Trees;

namespace FraudStream.Scoring.Tests;

public sealed class TreeExplainerTests(TrainedModels models) : IClassFixture<TrainedModels>
{
    [Theory]
    [InlineData("fasttree")]
    [InlineData("lightgbm")]
    public void Contributions_sum_to_the_raw_score_minus_the_root_expectation(string trainer)
    {
        var model = trainer == "fasttree" ? models.FastTree : models.LightGbm;
        var explainer = new TreeExplainer(model);
        var matrix = TrainedModels.EvaluationMatrix(model, seed: 3);
        var contributions = new double[FeatureSchema.Count];
        for (var r = 0; r < 500; r++)
        {
            var row = matrix.AsSpan(r * FeatureSchema.Count, FeatureSchema.Count);
            explainer.Contributions(row, contributions);
            Assert.Equal(model.RawScore(row) - explainer.Expectation, contributions.Sum(), 1e-5 * Math.Max(1, Math.Abs(model.RawScore(row))));
        }
    }

    [Fact]
    public void Top_contributions_are_the_largest_positive_ones_in_descending_order()
    {
        var explainer = new TreeExplainer(models.LightGbm);
        var matrix = TrainedModels.EvaluationMatrix(models.LightGbm, seed: 4);
        var all = new double[FeatureSchema.Count];
        var index = new int[3];
        var value = new float[3];
        for (var r = 0; r < 200; r++)
        {
            var row = matrix.AsSpan(r * FeatureSchema.Count, FeatureSchema.Count);
            explainer.Contributions(row, all);
            var expected = all.Select((c, f) => (c, f)).Where(x => x.c > 0).OrderByDescending(x => x.c).Take(3).ToList();

            var written = explainer.TopContributions(row, 3, index, value);

            Assert.Equal(expected.Count, written);
            for (var i = 0; i < written; i++)
            {
                Assert.Equal((float)expected[i].c, value[i]);
                Assert.Equal(expected[i].f, index[i]);
            }
        }
    }

    [Fact]
    public void Top_contributions_allocate_nothing()
    {
        var explainer = new TreeExplainer(models.FastTree);
        var row = new float[FeatureSchema.Count];
        var index = new int[5];
        var value = new float[5];
        explainer.TopContributions(row, 5, index, value);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            explainer.TopContributions(row, 5, index, value);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Leaf_weights_weight_the_expectation()
    {
        var tree = CompiledGraphFidelityTests.Stump();
        var unweighted = new TreeExplainer(new TreeEnsembleModel { FeatureCount = 2, Trees = [tree] });
        tree.LeafWeights = [3, 1];
        var weighted = new TreeExplainer(new TreeEnsembleModel { FeatureCount = 2, Trees = [tree] });

        Assert.Equal(0.5, unweighted.Expectation);
        Assert.Equal(-0.25, weighted.Expectation);
    }
}
