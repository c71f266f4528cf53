using Microsoft.ML;
using Microsoft.ML.Data;
using FraudStream.Features.Schema;
using FraudStream.Training.Data;
using FraudStream.Training.Progress;

namespace FraudStream.Training.Modeling;

/// <summary>The rows ML.NET sees. Column names are shared by training, evaluation and the ONNX export.</summary>
internal sealed class TrainingRow
{
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }

    public float Weight { get; set; } = 1;
}

/// <summary>Features only: the view the ONNX export is made against (the converter chokes on the label).</summary>
internal sealed class ScoringRow
{
    public float[] Features { get; set; } = [];
}

internal static class ModelRows
{
    public const string FeaturesColumn = "Features";
    public const string LabelColumn = "Label";
    public const string WeightColumn = "Weight";
    public const string ProbabilityColumn = "Probability";
    public const string ScoreColumn = "Score";

    /// <summary>The rows the trainer reads; each row read (ML.NET makes several passes) counts in <paramref name="progress"/>.</summary>
    public static IDataView TrainingView(MLContext ml, FeatureTable table, int start, int count, float positiveWeight, ProgressDisplay? progress = null)
    {
        var schema = SchemaDefinition.Create(typeof(TrainingRow));
        schema[FeaturesColumn].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureSchema.Count);
        var rows = Enumerate(table, start, count, positiveWeight);
        return ml.Data.LoadFromEnumerable(progress is null ? rows : progress.Counting(rows), schema);
    }

    public static IDataView ScoringView(MLContext ml, FeatureTable table, int start, int count)
    {
        var schema = SchemaDefinition.Create(typeof(ScoringRow));
        schema[FeaturesColumn].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureSchema.Count);
        return ml.Data.LoadFromEnumerable(EnumerateFeatures(table, start, count), schema);
    }

    /// <summary>Calibrated probabilities of rows [start, start + count) in order.</summary>
    public static float[] Score(MLContext ml, ITransformer model, FeatureTable table, int start, int count)
    {
        var scored = model.Transform(ScoringView(ml, table, start, count));
        var probabilities = new float[count];
        var i = 0;
        foreach (var p in scored.GetColumn<float>(ProbabilityColumn))
        {
            probabilities[i++] = p;
        }

        return probabilities;
    }

    private static IEnumerable<TrainingRow> Enumerate(FeatureTable table, int start, int count, float positiveWeight)
    {
        for (var i = start; i < start + count; i++)
        {
            var label = table.Label(i);
            yield return new TrainingRow { Features = table.Row(i).ToArray(), Label = label, Weight = label ? positiveWeight : 1f };
        }
    }

    private static IEnumerable<ScoringRow> EnumerateFeatures(FeatureTable table, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            yield return new ScoringRow { Features = table.Row(i).ToArray() };
        }
    }
}
