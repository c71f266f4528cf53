using FraudStream.Core.Contracts;

namespace FraudStream.Core.Stages;

/// <summary>Per-card behaviour and merchant-graph features. One <see cref="IFeatureWorker"/> per pipeline worker.</summary>
public interface IFeatureStage
{
    int FeatureCount { get; }

    string SchemaVersion { get; }

    /// <summary>A worker-local feature computer (per-card state lives in it; used from one thread).</summary>
    IFeatureWorker CreateWorker();

    /// <summary>Ground truth that arrived (chargeback, analyst verdict): feeds the merchant graph.</summary>
    void ApplyLabel(Label label);
}

public interface IFeatureWorker
{
    /// <summary>Writes the features of <paramref name="tx"/> as of before it, then adds it to the state.</summary>
    void Process(Transaction tx, Span<float> features);

    /// <summary>
    /// A hint: <paramref name="upcoming"/> will be processed three <see cref="Process"/> calls from now, so its
    /// state can start loading. Never changes a value.
    /// </summary>
    void PrefetchAhead(Transaction upcoming);
}

/// <summary>The model. Scores are probabilities in 0..1, NaN when no model is available.</summary>
public interface IScoringStage
{
    bool ModelAvailable { get; }

    string ModelVersion { get; }

    /// <summary><c>cuda</c>, <c>cpu</c> or <c>none</c>.</summary>
    string Device { get; }

    float ReviewThreshold { get; }

    float DeclineThreshold { get; }

    /// <summary>Scores <paramref name="rows"/> rows; may batch with other workers' calls.</summary>
    void Score(ReadOnlySpan<float> features, int rows, Span<float> scores, out long batchWaitMicros, out long computeMicros);

    /// <summary>Top features pushing the score up (names for reasons); returns how many were written.</summary>
    int Explain(ReadOnlySpan<float> features, Span<string?> topFeatures);
}

/// <summary>The analysts' rules. One <see cref="IRulesWorker"/> per pipeline worker (hit counters are per worker).</summary>
public interface IRulesStage
{
    string RulesetVersion { get; }

    IRulesWorker CreateWorker();

    /// <summary>Each rule's hits (shadow rules included) summed over all workers, for the dashboard and /metrics.</summary>
    IReadOnlyList<RuleHitTotal> HitTotals();
}

/// <summary>A rule's hits summed over all workers.</summary>
public sealed record RuleHitTotal(string Name, DecisionKind Action, bool Shadow, long Hits);

public interface IRulesWorker
{
    /// <summary>Appends every matching rule's name to <paramref name="reasons"/> and returns the decision.</summary>
    DecisionKind Decide(Transaction tx, float[] features, float score, float reviewThreshold, float declineThreshold, List<string> reasons);
}
