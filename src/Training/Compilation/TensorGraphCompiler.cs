using FraudStream.Scoring.Trees;
using FraudStream.Training.Compilation.Onnx;

namespace FraudStream.Training.Compilation;

public enum TreeGraphStrategy
{
    /// <summary>GEMM for trees of few leaves, tree traversal for bigger ones.</summary>
    Auto,

    /// <summary>Hummingbird's GEMM formulation: all node conditions at once, leaf selection by a batched MatMul.</summary>
    Gemm,

    /// <summary>Hummingbird's tree traversal: one Gather/Where step per level, for all trees at once.</summary>
    TreeTraversal,
}

/// <summary>
/// Compiles a <see cref="TreeEnsembleModel"/> into an ONNX graph of standard ai.onnx operators (opset 17), so
/// that ONNX Runtime can run it on CUDA, where the ai.onnx.ml TreeEnsemble operators do not exist.
/// Input <c>features</c> float[N, F]; output <c>probability</c> float[N].
/// </summary>
/// <remarks>
/// Exactness: features reach the comparisons through Gather (no arithmetic, so no TF32 and no 0·inf), the GEMM
/// only multiplies 0/1 by ±1 (exact in any precision), leaf values are summed in double as ML.NET does, and
/// the calibration runs in double on the float raw score, as ML.NET's Platt calibrator does.
/// </remarks>
public static class TensorGraphCompiler
{
    public const string InputName = "features";
    public const string OutputName = "probability";

    /// <summary>
    /// GEMM work per row grows as trees × internal nodes × leaves, traversal work as trees × depth (but one
    /// kernel per step per level). ML.NET's trees are leaf-bounded (20 to 31 leaves, often 10+ deep), so the
    /// choice goes by leaves rather than Hummingbird's depth: GEMM up to this many leaves per tree.
    /// </summary>
    public const int GemmMaxLeaves = 64;

    /// <summary>
    /// The GEMM path runs in float16: its operands are 0, ±1 and left-turn counts, and float16 holds every
    /// integer up to 2048 exactly, so the margins are exact while the largest tensors take half the memory
    /// traffic. Beyond this many leaves per tree that no longer holds.
    /// </summary>
    public const int GemmMaxLeavesExactInHalf = 2048;

    public static TreeGraphStrategy Resolve(TreeEnsembleModel model, TreeGraphStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(model);
        return strategy != TreeGraphStrategy.Auto ? strategy
            : MaxLeaves(model) <= GemmMaxLeaves ? TreeGraphStrategy.Gemm : TreeGraphStrategy.TreeTraversal;
    }

    public static int MaxLeaves(TreeEnsembleModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var max = 0;
        foreach (var tree in model.Trees)
        {
            max = Math.Max(max, tree.LeafCount);
        }

        return max;
    }

    public static OnnxModel Compile(TreeEnsembleModel model, TreeGraphStrategy strategy = TreeGraphStrategy.Auto)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Validate();
        if (model.Trees.Count == 0)
        {
            throw new InvalidDataException("tree ensemble has no trees");
        }

        var builder = new GraphBuilder();
        var graph = builder.Model.Graph;
        graph.Name = "fraudstream_trees";
        graph.Inputs.Add(new OnnxValueInfo(InputName, OnnxDataType.Float, null, model.FeatureCount));
        graph.Outputs.Add(new OnnxValueInfo(OutputName, OnnxDataType.Float, [null]));

        // The trained pipeline's imputer (NaN → 0) runs first, inside the graph, as it does in ML.NET.
        var input = model.MissingAsZero
            ? builder.Node("Where", [builder.Node("IsNaN", [InputName]), builder.Const("missing_as", [], new[] { 0f }), InputName])
            : InputName;
        var leafSum = Resolve(model, strategy) == TreeGraphStrategy.Gemm
            ? EmitGemm(builder, model, input)
            : EmitTreeTraversal(builder, model, input);
        EmitCalibration(builder, model, leafSum);
        return builder.Model;
    }

    public static byte[] CompileToBytes(TreeEnsembleModel model, TreeGraphStrategy strategy = TreeGraphStrategy.Auto) =>
        Compile(model, strategy).ToBytes();

    /// <summary>Returns the name of a double[N] tensor: the sum of the selected leaf values.</summary>
    /// <remarks>
    /// The work is memory traffic over [trees, nodes, rows] tensors, so the graph keeps them few and small
    /// (float16, see <see cref="GemmMaxLeavesExactInHalf"/>): each distinct (feature, threshold) condition is
    /// evaluated once per row and then gathered per node; the leaf's left-turn count rides in the path MatMul as one more, always-true, condition column,
    /// so the MatMul's output is already the margin (1 for the reached leaf, ≤ 0 for every other one).
    /// </remarks>
    private static string EmitGemm(GraphBuilder b, TreeEnsembleModel model, string input)
    {
        var trees = model.Trees;
        var treeCount = trees.Count;
        var maxInternal = 1;
        var maxLeaves = 1;
        foreach (var tree in trees)
        {
            maxInternal = Math.Max(maxInternal, tree.InternalNodeCount);
            maxLeaves = Math.Max(maxLeaves, tree.LeafCount);
        }

        if (maxLeaves > GemmMaxLeavesExactInHalf)
        {
            throw new ArgumentException(
                $"the GEMM strategy is exact up to {GemmMaxLeavesExactInHalf} leaves per tree, this ensemble has {maxLeaves}; use tree traversal");
        }

        // Column maxInternal of every tree is the always-true condition that carries the left-turn counts.
        var columns = maxInternal + 1;
        var conditions = new ConditionTable(model.FeatureCount);
        var nodeCondition = new long[treeCount * columns];
        var paths = new Half[treeCount * maxLeaves * columns];
        var values = new double[treeCount * maxLeaves];

        for (var t = 0; t < treeCount; t++)
        {
            var tree = trees[t];
            for (var i = 0; i < columns; i++)
            {
                nodeCondition[(t * columns) + i] = i < tree.InternalNodeCount
                    ? conditions.IndexOf(tree.SplitFeatures[i], tree.Thresholds[i], tree.NaNGoesLeft[i])
                    : ConditionTable.Always;
            }

            for (var leaf = 0; leaf < maxLeaves; leaf++)
            {
                // Padded leaves have no path, so their margin is 0: never reached.
                paths[(((t * maxLeaves) + leaf) * columns) + maxInternal] = Half.Zero;
                values[(t * maxLeaves) + leaf] = leaf < tree.LeafCount ? tree.LeafValues[leaf] : 0;
            }

            if (tree.InternalNodeCount > 0)
            {
                MarkPaths(tree, 0, t, columns, maxLeaves, maxInternal, paths, []);
            }
        }

        // Rows last ([·, N]) so every large tensor is one contiguous batched MatMul operand.
        var transposed = b.Node("Transpose", [input], OnnxAttribute.Ints("perm", 1, 0));
        var augmented = b.Node("Concat", [transposed, AlwaysLowRow(b, transposed)], OnnxAttribute.Int("axis", 0));
        var count = conditions.Count;
        var selected = b.Node("Gather", [augmented, b.Const("condition_feature", [count], conditions.Features())], OnnxAttribute.Int("axis", 0));
        var holds = NodeConditions(b, selected, b.Const("condition_threshold", [count, 1], conditions.Thresholds()), conditions.NaNLeft(), [count, 1]);
        var holdsHalf = b.Node("Cast", [holds], OnnxAttribute.Int("to", (long)OnnxDataType.Float16));
        var asHalf = b.Node("Gather", [holdsHalf, b.Const("node_condition", [treeCount, columns], nodeCondition)], OnnxAttribute.Int("axis", 0));
        var margin = b.Node("MatMul", [b.Const("path_matrix", [treeCount, maxLeaves, columns], paths), asHalf]);

        // Relu keeps exactly the reached leaf (margin 1); a MatMul with the leaf numbers then reads out which one
        // it is. (ArgMax over the leaf axis gave the same answer at a third more time per row on the H200.)
        var leafIds = new Half[treeCount * maxLeaves];
        for (var t = 0; t < treeCount; t++)
        {
            for (var leaf = 0; leaf < maxLeaves; leaf++)
            {
                leafIds[(t * maxLeaves) + leaf] = (Half)leaf;
            }
        }

        var reached = b.Node("Relu", [margin]);
        var leafId = b.Node("MatMul", [b.Const("leaf_ids", [treeCount, 1, maxLeaves], leafIds), reached]);
        var chosenLeaf = b.Node("Cast", [leafId], OnnxAttribute.Int("to", (long)OnnxDataType.Int64));

        var leafOffsets = new long[treeCount];
        for (var t = 0; t < treeCount; t++)
        {
            leafOffsets[t] = (long)t * maxLeaves;
        }

        var globalLeaf = b.Node("Add", [chosenLeaf, b.Const("leaf_offsets", [treeCount, 1, 1], leafOffsets)]);
        var leafValue = b.Node("Gather", [b.Const("leaf_values", [treeCount * maxLeaves], values), globalLeaf]);

        // The sum over trees in double as a [1, T] × [T, N] product: a cuBLAS GEMV, faster there than ReduceSum.
        var perTree = b.Node("Reshape", [leafValue, b.Const("trees_by_rows", [2], new long[] { treeCount, -1 })]);
        var ones = new double[treeCount];
        Array.Fill(ones, 1.0);
        var total = b.Node("MatMul", [b.Const("tree_ones", [1, treeCount], ones), perTree]);
        return b.Node("Reshape", [total, b.Const("rows", [1], new long[] { -1 })]);
    }

    /// <summary>
    /// A [1, N] row of −∞, built from the input rather than from its shape (shape arithmetic would run on the
    /// CPU), that satisfies every <c>x ≤ +∞</c> test: the always-true condition.
    /// </summary>
    private static string AlwaysLowRow(GraphBuilder b, string transposed)
    {
        var firstRow = b.Node("Gather", [transposed, b.Const("first_feature_row", [1], new long[] { 0 })], OnnxAttribute.Int("axis", 0));
        var negativeInfinity = b.Const("negative_infinity", [], new[] { float.NegativeInfinity });
        return b.Node("Where", [b.Node("IsNaN", [firstRow]), negativeInfinity, negativeInfinity]);
    }

    /// <summary>The distinct (feature, threshold, NaN direction) tests of an ensemble; entry 0 is always true.</summary>
    private sealed class ConditionTable
    {
        public const int Always = 0;

        private readonly Dictionary<(int Feature, int ThresholdBits, bool NaNLeft), int> _index = [];
        private readonly List<(int Feature, float Threshold, bool NaNLeft)> _conditions = [];

        public ConditionTable(int featureCount)
        {
            // The row of −∞ appended after the real features, tested against +∞.
            _conditions.Add((featureCount, float.PositiveInfinity, false));
        }

        public int Count => _conditions.Count;

        public int IndexOf(int feature, float threshold, bool nanLeft)
        {
            var key = (feature, BitConverter.SingleToInt32Bits(threshold), nanLeft);
            if (!_index.TryGetValue(key, out var index))
            {
                index = _conditions.Count;
                _conditions.Add((feature, threshold, nanLeft));
                _index.Add(key, index);
            }

            return index;
        }

        public long[] Features() => Map(c => (long)c.Feature);

        public float[] Thresholds() => Map(c => c.Threshold);

        public bool[] NaNLeft() => Map(c => c.NaNLeft);

        private T[] Map<T>(Func<(int Feature, float Threshold, bool NaNLeft), T> select)
        {
            var result = new T[_conditions.Count];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = select(_conditions[i]);
            }

            return result;
        }
    }

    /// <summary>
    /// Path matrix: +1 where the leaf lies under the node's left child, −1 under its right child, and one minus
    /// the number of left turns in the bias column, so the reached leaf sums to exactly 1 and every other to ≤ 0.
    /// </summary>
    private static void MarkPaths(DecisionTree tree, int node, int t, int columns, int maxLeaves, int biasColumn,
        Half[] paths, List<(int Node, bool Left)> ancestors)
    {
        foreach (var (child, left) in new[] { (tree.LeftChild[node], true), (tree.RightChild[node], false) })
        {
            ancestors.Add((node, left));
            if (child < 0)
            {
                var row = ((t * maxLeaves) + ~child) * columns;
                var leftTurns = 0;
                foreach (var (ancestor, wentLeft) in ancestors)
                {
                    paths[row + ancestor] = wentLeft ? Half.One : Half.NegativeOne;
                    leftTurns += wentLeft ? 1 : 0;
                }

                paths[row + biasColumn] = (Half)(1 - leftTurns);
            }
            else
            {
                MarkPaths(tree, child, t, columns, maxLeaves, biasColumn, paths, ancestors);
            }

            ancestors.RemoveAt(ancestors.Count - 1);
        }
    }

    private static string EmitTreeTraversal(GraphBuilder b, TreeEnsembleModel model, string input)
    {
        // All trees' nodes in one table: internal nodes, then leaves; a leaf points to itself so that
        // rows which reach a shallow leaf early stay there for the remaining levels.
        var total = 0;
        foreach (var tree in model.Trees)
        {
            total += tree.InternalNodeCount + tree.LeafCount;
        }

        var features = new long[total];
        var thresholds = new float[total];
        var nanLeft = new bool[total];
        var left = new long[total];
        var right = new long[total];
        var values = new double[total];
        var roots = new long[model.Trees.Count];
        var offset = 0;
        for (var t = 0; t < model.Trees.Count; t++)
        {
            var tree = model.Trees[t];
            var internalCount = tree.InternalNodeCount;
            roots[t] = offset;
            long Global(int child) => child < 0 ? offset + internalCount + ~child : offset + child;
            for (var i = 0; i < internalCount; i++)
            {
                features[offset + i] = tree.SplitFeatures[i];
                thresholds[offset + i] = tree.Thresholds[i];
                nanLeft[offset + i] = tree.NaNGoesLeft[i];
                left[offset + i] = Global(tree.LeftChild[i]);
                right[offset + i] = Global(tree.RightChild[i]);
            }

            for (var leaf = 0; leaf < tree.LeafCount; leaf++)
            {
                var leafNode = offset + internalCount + leaf;
                left[leafNode] = leafNode;
                right[leafNode] = leafNode;
                values[leafNode] = tree.LeafValues[leaf];
            }

            offset += internalCount + tree.LeafCount;
        }

        var anyNanLeft = Array.IndexOf(nanLeft, true) >= 0;
        var featureTable = b.Const("node_feature", [total], features);
        var thresholdTable = b.Const("node_threshold", [total], thresholds);
        var nanTable = anyNanLeft ? b.Const("node_nan_left", [total], nanLeft) : null;
        var leftTable = b.Const("node_left", [total], left);
        var rightTable = b.Const("node_right", [total], right);
        var rootRow = b.Const("roots", [1, model.Trees.Count], roots);

        // Broadcast the roots to [N, T] without shape arithmetic (which ORT would place on the CPU).
        var firstFeatureColumns = b.Node("Gather",
            [input, b.Const("first_feature", [model.Trees.Count], new long[model.Trees.Count])],
            OnnxAttribute.Int("axis", 1));
        var anyRow = b.Node("IsNaN", [firstFeatureColumns]);
        var index = b.Node("Where", [anyRow, rootRow, rootRow]);

        var depth = model.MaxDepth();
        for (var level = 0; level < depth; level++)
        {
            var feature = b.Node("Gather", [featureTable, index]);
            var x = b.Node("GatherElements", [input, feature], OnnxAttribute.Int("axis", 1));
            var threshold = b.Node("Gather", [thresholdTable, index]);
            var goesLeft = b.Node("LessOrEqual", [x, threshold]);
            if (nanTable is not null)
            {
                var nanLeftHere = b.Node("Gather", [nanTable, index]);
                goesLeft = b.Node("Or", [goesLeft, b.Node("And", [b.Node("IsNaN", [x]), nanLeftHere])]);
            }

            index = b.Node("Where", [goesLeft, b.Node("Gather", [leftTable, index]), b.Node("Gather", [rightTable, index])]);
        }

        var leafValues = b.Node("Gather", [b.Const("node_value", [total], values), index]);
        return b.Node("ReduceSum", [leafValues, b.Const("axes_tree", [1], new long[] { 1 })], OnnxAttribute.Int("keepdims", 0));
    }

    /// <summary><c>x &lt;= threshold</c>, or NaN where the node sends NaN left.</summary>
    private static string NodeConditions(GraphBuilder b, string x, string threshold, bool[] nanLeft, long[] dims)
    {
        var lessOrEqual = b.Node("LessOrEqual", [x, threshold]);
        if (Array.IndexOf(nanLeft, true) < 0)
        {
            return lessOrEqual;
        }

        var nanHere = b.Node("And", [b.Node("IsNaN", [x]), b.Const("node_nan_left", dims, nanLeft)]);
        return b.Node("Or", [lessOrEqual, nanHere]);
    }

    private static void EmitCalibration(GraphBuilder b, TreeEnsembleModel model, string leafSum)
    {
        var sum = model.Bias == 0 ? leafSum : b.Node("Add", [leafSum, b.Const("bias", [], new[] { model.Bias })]);
        var raw = b.Node("Cast", [sum], OnnxAttribute.Int("to", (long)OnnxDataType.Float));
        var rawDouble = b.Node("Cast", [raw], OnnxAttribute.Int("to", (long)OnnxDataType.Double));
        var scaled = b.Node("Mul", [rawDouble, b.Const("platt_slope", [], new[] { model.PlattSlope })]);
        var shifted = b.Node("Add", [scaled, b.Const("platt_offset", [], new[] { model.PlattOffset })]);
        var one = b.Const("one", [], new[] { 1.0 });
        var denominator = b.Node("Add", [one, b.Node("Exp", [shifted])]);
        var probability = b.Node("Div", [one, denominator]);
        b.Node("Cast", [probability], OutputName, OnnxAttribute.Int("to", (long)OnnxDataType.Float));
    }

    private sealed class GraphBuilder
    {
        private int _counter;

        public OnnxModel Model { get; } = new();

        public string Node(string opType, string[] inputs, params OnnxAttribute[] attributes) =>
            Node(opType, inputs, $"{opType.ToLowerInvariant()}_{_counter}", attributes);

        public string Node(string opType, string[] inputs, string output, params OnnxAttribute[] attributes)
        {
            var node = new OnnxNode { OpType = opType, Name = $"n{_counter++}_{opType}" };
            node.Inputs.AddRange(inputs);
            node.Outputs.Add(output);
            node.Attributes.AddRange(attributes);
            Model.Graph.Nodes.Add(node);
            return output;
        }

        public string Const(string name, long[] dims, float[] values) => Add(OnnxTensor.Of(name, dims, values));

        public string Const(string name, long[] dims, double[] values) => Add(OnnxTensor.Of(name, dims, values));

        public string Const(string name, long[] dims, Half[] values) => Add(OnnxTensor.Of(name, dims, values));

        public string Const(string name, long[] dims, long[] values) => Add(OnnxTensor.Of(name, dims, values));

        public string Const(string name, long[] dims, bool[] values) => Add(OnnxTensor.Of(name, dims, values));

        private string Add(OnnxTensor tensor)
        {
            Model.Graph.Initializers.Add(tensor);
            return tensor.Name;
        }
    }
}
