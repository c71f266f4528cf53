using System.Text.Json;
using System.Text.Json.Serialization;

namespace FraudStream.Scoring.Trees;

/// <summary>
/// A binary tree-ensemble classifier as plain data (no ML.NET types): the trees, their bias and the Platt
/// calibrator. Evaluates exactly as ML.NET does: <c>x &lt;= threshold</c> goes left, NaN follows the node's
/// missing-value direction, the raw score is the double sum of leaf values cast to float, and
/// probability = <c>(float)(1 / (1 + exp(slope * raw + offset)))</c>.
/// </summary>
public sealed class TreeEnsembleModel
{
    public const string FileName = "trees.json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public int FeatureCount { get; set; }

    /// <summary>Added to the sum of leaf values before calibration.</summary>
    public double Bias { get; set; }

    public double PlattSlope { get; set; }

    public double PlattOffset { get; set; }

    /// <summary>FastTree or LightGbm: informational.</summary>
    public string Trainer { get; set; } = "";

    public List<DecisionTree> Trees { get; set; } = [];

    public int MaxDepth()
    {
        var max = 0;
        foreach (var tree in Trees)
        {
            max = Math.Max(max, tree.Depth());
        }

        return max;
    }

    /// <summary>The uncalibrated score, as ML.NET computes it (double accumulation, float result).</summary>
    public float RawScore(ReadOnlySpan<float> features)
    {
        var sum = 0.0;
        foreach (var tree in Trees)
        {
            sum += tree.LeafValues[tree.LeafIndex(features)];
        }

        return (float)(sum + Bias);
    }

    public float Probability(ReadOnlySpan<float> features) => Calibrate(RawScore(features));

    public float Calibrate(float raw) =>
        float.IsNaN(raw) ? raw : (float)(1 / (1 + Math.Exp((PlattSlope * raw) + PlattOffset)));

    public void Validate()
    {
        if (FeatureCount <= 0)
        {
            throw new InvalidDataException("tree ensemble has no features");
        }

        for (var t = 0; t < Trees.Count; t++)
        {
            Trees[t].Validate(FeatureCount, t);
        }
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions));

    public static TreeEnsembleModel Load(string path)
    {
        var model = JsonSerializer.Deserialize<TreeEnsembleModel>(File.ReadAllText(path), JsonOptions)
            ?? throw new InvalidDataException($"{path} is empty");
        model.Validate();
        return model;
    }
}

/// <summary>
/// One regression tree in ML.NET's layout: internal nodes 0..n-1; a child index &lt; 0 is the leaf <c>~child</c>.
/// A tree with no internal node is the single leaf 0.
/// </summary>
public sealed class DecisionTree
{
    public int[] SplitFeatures { get; set; } = [];

    public float[] Thresholds { get; set; } = [];

    public int[] LeftChild { get; set; } = [];

    public int[] RightChild { get; set; } = [];

    /// <summary>Per internal node: does a NaN input go left? (FastTree: never; LightGbm: per node.)</summary>
    public bool[] NaNGoesLeft { get; set; } = [];

    public double[] LeafValues { get; set; } = [];

    /// <summary>Training weight (sample count) per leaf when known; explanations weight subtree means by it.</summary>
    public double[]? LeafWeights { get; set; }

    [JsonIgnore]
    public int InternalNodeCount => SplitFeatures.Length;

    [JsonIgnore]
    public int LeafCount => LeafValues.Length;

    public int LeafIndex(ReadOnlySpan<float> features)
    {
        if (SplitFeatures.Length == 0)
        {
            return 0;
        }

        var node = 0;
        while (node >= 0)
        {
            var x = features[SplitFeatures[node]];
            var left = float.IsNaN(x) ? NaNGoesLeft[node] : x <= Thresholds[node];
            node = left ? LeftChild[node] : RightChild[node];
        }

        return ~node;
    }

    /// <summary>Edges from the root to the deepest leaf.</summary>
    public int Depth() => SplitFeatures.Length == 0 ? 0 : DepthOf(0);

    private int DepthOf(int child) =>
        child < 0 ? 0 : 1 + Math.Max(DepthOf(LeftChild[child]), DepthOf(RightChild[child]));

    internal void Validate(int featureCount, int treeIndex)
    {
        var n = SplitFeatures.Length;
        if (Thresholds.Length != n || LeftChild.Length != n || RightChild.Length != n || NaNGoesLeft.Length != n)
        {
            throw new InvalidDataException($"tree {treeIndex}: node arrays differ in length");
        }

        if (LeafValues.Length != n + 1 || (LeafWeights is not null && LeafWeights.Length != n + 1))
        {
            throw new InvalidDataException($"tree {treeIndex}: expected {n + 1} leaves, found {LeafValues.Length}");
        }

        for (var i = 0; i < n; i++)
        {
            if ((uint)SplitFeatures[i] >= (uint)featureCount)
            {
                throw new InvalidDataException($"tree {treeIndex} node {i}: feature {SplitFeatures[i]} out of range");
            }

            CheckChild(LeftChild[i], n, treeIndex);
            CheckChild(RightChild[i], n, treeIndex);
        }
    }

    private static void CheckChild(int child, int n, int treeIndex)
    {
        if (child >= n || (child < 0 && ~child > n))
        {
            throw new InvalidDataException($"tree {treeIndex}: child {child} out of range");
        }
    }
}
