namespace FraudStream.Scoring.Runtime;

/// <summary>
/// Scores rows of features (row-major, <see cref="FeatureCount"/> per row) into fraud probabilities.
/// Not thread-safe: one caller at a time (the micro-batcher's scoring thread).
/// </summary>
public interface IModelScorer : IDisposable
{
    /// <summary>"cuda" or "cpu".</summary>
    string Device { get; }

    string ModelVersion { get; }

    int FeatureCount { get; }

    /// <summary>"tensor" or "tree_ensemble", and whether CUDA graphs are in use.</summary>
    string Description { get; }

    void Score(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities);
}
