using System.Reflection;
using FraudStream.Scoring.Trees;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;

namespace FraudStream.Training.Compilation;

/// <summary>
/// Reads a trained ML.NET binary classifier (FastTree or LightGbm with Platt calibration) into a
/// <see cref="TreeEnsembleModel"/> through ML.NET's public tree API.
/// </summary>
/// <remarks>
/// The one thing the public API hides is the per-node value that replaces a NaN input (LightGbm's
/// missing-value direction). It lives in <c>InternalRegressionTree.DefaultValueForMissing</c>, read here by
/// reflection; <see cref="MissingValueReplacementsReadable"/> lets a test prove the member is still there.
/// </remarks>
public static class TreeExtractor
{
    public static TreeEnsembleModel FromModelFile(string modelZipPath, int featureCount)
    {
        var context = new MLContext(seed: 0);
        var transformer = context.Model.Load(modelZipPath, out _);
        return FromTransformer(transformer, featureCount);
    }

    public static TreeEnsembleModel FromTransformer(ITransformer transformer, int featureCount)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        var parameters = FindModelParameters(transformer)
            ?? throw new NotSupportedException(
                "the model holds no FastTree or LightGbm binary classifier with Platt calibration");
        // A Platt calibrator after the trees (the trainer's recalibration) replaces the trainer's own.
        var recalibrated = FindLastCalibrator(transformer);
        var model = parameters switch
        {
            CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator> fastTree =>
                Build("FastTree", fastTree.SubModel.TrainedTreeEnsemble, recalibrated ?? fastTree.Calibrator, featureCount),
            CalibratedModelParametersBase<LightGbmBinaryModelParameters, PlattCalibrator> lightGbm =>
                Build("LightGbm", lightGbm.SubModel.TrainedTreeEnsemble, recalibrated ?? lightGbm.Calibrator, featureCount),
            _ => throw new NotSupportedException($"unsupported model parameters {parameters.GetType().Name}"),
        };

        // FraudStream's trainer imputes with ReplaceMissingValues(DefaultValue) before the trees: NaN → 0.
        model.MissingAsZero = ContainsMissingValueReplacer(transformer);
        return model;
    }

    private static bool ContainsMissingValueReplacer(ITransformer transformer)
    {
        if (transformer is MissingValueReplacingTransformer)
        {
            return true;
        }

        if (transformer is IEnumerable<ITransformer> chain)
        {
            foreach (var inner in chain)
            {
                if (ContainsMissingValueReplacer(inner))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>True when ML.NET still exposes the internal per-node NaN replacement this extractor relies on.</summary>
    public static bool MissingValueReplacementsReadable(RegressionTree tree) =>
        InternalTreeOf(tree) is { } internalTree && ReplacementMember(internalTree.GetType()) is not null;

    private const BindingFlags AnyInstance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    private static object? FindModelParameters(ITransformer transformer)
    {
        if (transformer is IEnumerable<ITransformer> chain)
        {
            object? found = null;
            foreach (var inner in chain)
            {
                // The compiled graph reads the raw feature vector: a transform that changes values before the
                // trees (a normalizer, say) would be silently skipped.
                if (inner is NormalizingTransformer)
                {
                    throw new NotSupportedException(
                        "the model normalizes its features before the trees; train the trees on the raw FeatureSchema vector");
                }

                found = FindModelParameters(inner) ?? found;
            }

            return found;
        }

        var model = transformer is ISingleFeaturePredictionTransformer<object> prediction ? prediction.Model
            : transformer.GetType().GetProperty("Model")?.GetValue(transformer);
        return model is PlattCalibrator ? null : model;
    }

    /// <summary>The last stand-alone Platt calibrator of the chain (one that reads the trees' score), or null.</summary>
    private static PlattCalibrator? FindLastCalibrator(ITransformer transformer)
    {
        if (transformer is IEnumerable<ITransformer> chain)
        {
            PlattCalibrator? found = null;
            foreach (var inner in chain)
            {
                found = FindLastCalibrator(inner) ?? found;
            }

            return found;
        }

        return transformer is ISingleFeaturePredictionTransformer<PlattCalibrator> calibrator ? calibrator.Model : null;
    }

    private static TreeEnsembleModel Build(string trainer, RegressionTreeEnsemble ensemble, PlattCalibrator calibrator,
        int featureCount)
    {
        var model = new TreeEnsembleModel
        {
            Trainer = trainer,
            FeatureCount = featureCount,
            Bias = ensemble.Bias,
            PlattSlope = calibrator.Slope,
            PlattOffset = calibrator.Offset,
        };

        foreach (var tree in ensemble.Trees)
        {
            model.Trees.Add(Convert(tree));
        }

        model.Validate();
        return model;
    }

    private static DecisionTree Convert(RegressionTree tree)
    {
        var nodes = tree.NumberOfNodes;
        for (var i = 0; i < nodes; i++)
        {
            if (tree.CategoricalSplitFlags[i])
            {
                throw new NotSupportedException("categorical splits are not supported by the tensor compiler");
            }
        }

        var thresholds = tree.NumericalSplitThresholds.ToArray();
        var replacements = MissingValueReplacements(tree);
        var nanLeft = new bool[nodes];
        for (var i = 0; i < nodes; i++)
        {
            // ML.NET replaces a NaN input by the node's default value, then compares as usual.
            nanLeft[i] = replacements is not null && replacements[i] <= thresholds[i];
        }

        return new DecisionTree
        {
            SplitFeatures = tree.NumericalSplitFeatureIndexes.ToArray(),
            Thresholds = thresholds,
            LeftChild = tree.LeftChild.ToArray(),
            RightChild = tree.RightChild.ToArray(),
            NaNGoesLeft = nanLeft,
            LeafValues = tree.LeafValues.ToArray(),
        };
    }

    private static float[]? MissingValueReplacements(RegressionTree tree)
    {
        var internalTree = InternalTreeOf(tree)
            ?? throw new NotSupportedException("ML.NET's RegressionTree no longer wraps an InternalRegressionTree");
        var member = ReplacementMember(internalTree.GetType())
            ?? throw new NotSupportedException("ML.NET's InternalRegressionTree.DefaultValueForMissing is gone");
        return (float[]?)(member is FieldInfo field ? field.GetValue(internalTree) : ((PropertyInfo)member).GetValue(internalTree));
    }

    private static MemberInfo? ReplacementMember(Type internalTreeType) =>
        (MemberInfo?)internalTreeType.GetField("DefaultValueForMissing", AnyInstance)
        ?? internalTreeType.GetProperty("DefaultValueForMissing", AnyInstance);

    private static object? InternalTreeOf(RegressionTree tree)
    {
        for (var type = tree.GetType(); type is not null; type = type.BaseType)
        {
            foreach (var field in type.GetFields(AnyInstance | BindingFlags.DeclaredOnly))
            {
                if (field.FieldType.Name == "InternalRegressionTree")
                {
                    return field.GetValue(tree);
                }
            }
        }

        return null;
    }
}
