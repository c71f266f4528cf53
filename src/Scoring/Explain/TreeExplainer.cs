using FraudStream.Scoring.Trees;

namespace FraudStream.Scoring.Explain;

/// <summary>
/// Saabas path attributions: walking each tree from the root to the row's leaf, every split credits its feature
/// with the change in the expected output (subtree mean of leaf values, weighted by leaf weights when known).
/// Per row, the contributions sum to the raw score minus <see cref="Expectation"/>. Thread-safe; allocates nothing.
/// </summary>
public sealed class TreeExplainer
{
    private readonly TreeEnsembleModel _model;
    private readonly double[][] _nodeExpectations;

    public TreeExplainer(TreeEnsembleModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _nodeExpectations = new double[model.Trees.Count][];
        var expectation = model.Bias;
        for (var t = 0; t < model.Trees.Count; t++)
        {
            var tree = model.Trees[t];
            var expectations = new double[tree.InternalNodeCount];
            if (tree.InternalNodeCount > 0)
            {
                Fill(tree, 0, expectations);
                expectation += expectations[0];
            }
            else
            {
                expectation += tree.LeafValues[0];
            }

            _nodeExpectations[t] = expectations;
        }

        Expectation = expectation;
    }

    /// <summary>The raw score of an average row: bias plus every tree's root expectation.</summary>
    public double Expectation { get; }

    public int FeatureCount => _model.FeatureCount;

    /// <summary>Writes every feature's contribution to the raw score.</summary>
    public void Contributions(ReadOnlySpan<float> features, Span<double> contributions)
    {
        contributions[.._model.FeatureCount].Clear();
        for (var t = 0; t < _model.Trees.Count; t++)
        {
            var tree = _model.Trees[t];
            if (tree.InternalNodeCount == 0)
            {
                continue;
            }

            var expectations = _nodeExpectations[t];
            var node = 0;
            var before = expectations[0];
            while (node >= 0)
            {
                var feature = tree.SplitFeatures[node];
                var x = features[feature];
                var left = float.IsNaN(x) ? tree.NaNGoesLeft[node] : x <= tree.Thresholds[node];
                node = left ? tree.LeftChild[node] : tree.RightChild[node];
                var after = node < 0 ? tree.LeafValues[~node] : expectations[node];
                contributions[feature] += after - before;
                before = after;
            }
        }
    }

    /// <summary>
    /// The (at most) <paramref name="k"/> features that pushed the raw score up the most, largest first;
    /// returns how many were written (features with no positive contribution are left out).
    /// </summary>
    public int TopContributions(ReadOnlySpan<float> features, int k, Span<int> featureIndex, Span<float> contribution)
    {
        k = Math.Min(k, Math.Min(featureIndex.Length, contribution.Length));
        if (k <= 0)
        {
            return 0;
        }

        Span<double> all = _model.FeatureCount <= 1024 ? stackalloc double[_model.FeatureCount] : new double[_model.FeatureCount];
        Contributions(features, all);
        var written = 0;
        for (var f = 0; f < all.Length; f++)
        {
            var value = all[f];
            if (!(value > 0) || (written == k && value <= contribution[written - 1]))
            {
                continue;
            }

            var position = written < k ? written++ : k - 1;
            while (position > 0 && contribution[position - 1] < value)
            {
                contribution[position] = contribution[position - 1];
                featureIndex[position] = featureIndex[position - 1];
                position--;
            }

            contribution[position] = (float)value;
            featureIndex[position] = f;
        }

        return written;
    }

    /// <summary>Fills expectations of the subtree under <paramref name="node"/>; returns (weighted sum, weight).</summary>
    private static (double Sum, double Weight) Fill(DecisionTree tree, int node, double[] expectations)
    {
        var (leftSum, leftWeight) = Subtree(tree, tree.LeftChild[node], expectations);
        var (rightSum, rightWeight) = Subtree(tree, tree.RightChild[node], expectations);
        var sum = leftSum + rightSum;
        var weight = leftWeight + rightWeight;
        expectations[node] = weight > 0 ? sum / weight : 0;
        return (sum, weight);
    }

    private static (double Sum, double Weight) Subtree(DecisionTree tree, int child, double[] expectations)
    {
        if (child >= 0)
        {
            return Fill(tree, child, expectations);
        }

        var weight = tree.LeafWeights?[~child] ?? 1.0;
        return (tree.LeafValues[~child] * weight, weight);
    }
}
