using FraudStream.Features.Schema;
using FraudStream.Training.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FraudStream.Training.Modeling;

/// <summary>Loads the exported ONNX model with ONNX Runtime (CPU) and compares its probabilities with ML.NET's.</summary>
internal static class OnnxCheck
{
    public static double MaxAbsoluteDifference(string onnxPath, FeatureTable table, int start, int count, ReadOnlySpan<float> expected)
    {
        using var session = new InferenceSession(onnxPath);
        var inputName = session.InputMetadata.Keys.First();
        var outputName = session.OutputMetadata.Keys.First(n => n.StartsWith(ModelRows.ProbabilityColumn, StringComparison.Ordinal));
        var data = new float[count * FeatureSchema.Count];
        for (var i = 0; i < count; i++)
        {
            table.Row(start + i).CopyTo(data.AsSpan(i * FeatureSchema.Count));
        }

        var input = new DenseTensor<float>(data, [count, FeatureSchema.Count]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)], [outputName]);
        var probabilities = results.First().AsEnumerable<float>().ToArray();
        double worst = 0;
        for (var i = 0; i < count; i++)
        {
            worst = Math.Max(worst, Math.Abs(probabilities[i] - expected[i]));
        }

        return worst;
    }
}
