using System.Text.Json;
using FraudStream.Core.Stages;
using FraudStream.Features.Schema;
using FraudStream.Scoring.Explain;
using FraudStream.Scoring.Packaging;
using FraudStream.Scoring.Trees;
using Microsoft.Extensions.Logging;

namespace FraudStream.Scoring.Runtime;

/// <summary>
/// One model package, loaded whole from one read of its manifest: the warmed scorer, the thresholds, the version
/// and the explainer, never changed afterwards. <see cref="ScoringService"/> swaps whole snapshots, so a score
/// is always stamped with the thresholds and version of the package that computed it.
/// </summary>
public sealed class ModelSnapshot : IModelSnapshot, IDisposable
{
    private const int TopFeatures = 3;
    private static readonly string[] FeatureReasons = BuildFeatureReasons();
    private readonly IModelScorer? _scorer;
    private readonly TreeExplainer? _explainer;

    private ModelSnapshot(IModelScorer? scorer, string version, float review, float decline, TreeExplainer? explainer)
    {
        _scorer = scorer;
        _explainer = explainer;
        Version = version;
        ReviewThreshold = review;
        DeclineThreshold = decline;
    }

    /// <summary>No model: scores and thresholds NaN, version and device <c>none</c>.</summary>
    public static ModelSnapshot Unavailable { get; } = new(null, "none", float.NaN, float.NaN, null);

    public bool Available => _scorer is not null;

    public string Version { get; }

    public string Device => _scorer?.Device ?? "none";

    /// <summary>The graph and device in use, e.g. <c>tensor on cuda with CUDA graphs</c>.</summary>
    public string Description => _scorer?.Description ?? "model_unavailable";

    public float ReviewThreshold { get; }

    public float DeclineThreshold { get; }

    /// <summary>
    /// Loads <paramref name="packageDir"/>: manifest, explainer, then the scorer (the slow part, last). Throws
    /// <see cref="ModelPackageException"/> for a missing, corrupt or mismatched package, having kept nothing.
    /// </summary>
    public static ModelSnapshot Load(string packageDir, ScoringOptions options, ILogger logger)
    {
        var manifest = ScorerFactory.LoadManifest(packageDir);
        var explainer = LoadExplainer(packageDir, manifest);
        var scorer = ScorerFactory.Create(packageDir, manifest, options, logger);
        return new ModelSnapshot(scorer, manifest.ModelVersion, (float)manifest.Thresholds.Review, (float)manifest.Thresholds.Decline, explainer);
    }

    /// <summary>Scores with this package's scorer, or NaN without one. Called by the scoring thread only.</summary>
    internal void Score(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities)
    {
        if (_scorer is null)
        {
            probabilities[..rows].Fill(float.NaN);
            return;
        }

        _scorer.Score(featuresRowMajor, rows, probabilities);
    }

    public int Explain(ReadOnlySpan<float> features, Span<string?> topFeatures)
    {
        if (_explainer is null)
        {
            return 0;
        }

        Span<int> index = stackalloc int[TopFeatures];
        Span<float> contribution = stackalloc float[TopFeatures];
        var k = _explainer.TopContributions(features, Math.Min(TopFeatures, topFeatures.Length), index, contribution);
        for (var i = 0; i < k; i++)
        {
            topFeatures[i] = FeatureReasons[index[i]];
        }

        return k;
    }

    /// <summary>Releases the scorer; the explainer and thresholds stay readable for decisions already scored.</summary>
    public void Dispose() => _scorer?.Dispose();

    private static TreeExplainer? LoadExplainer(string packageDir, ModelPackage manifest)
    {
        if (manifest.Files.Trees is not { } trees || !File.Exists(Path.Combine(packageDir, trees)))
        {
            return null;
        }

        var path = Path.Combine(packageDir, trees);
        try
        {
            return new TreeExplainer(TreeEnsembleModel.Load(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or JsonException)
        {
            throw new ModelPackageException(ModelPackageProblem.Corrupt, $"model package '{packageDir}': unreadable {trees}: {e.Message}", e);
        }
    }

    private static string[] BuildFeatureReasons()
    {
        var names = new string[FeatureSchema.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = "feature:" + FeatureSchema.Names[i];
        }

        return names;
    }
}
