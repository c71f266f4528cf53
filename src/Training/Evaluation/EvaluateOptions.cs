using FraudStream.Core.Contracts;
using FraudStream.Ingest.Replay;

namespace FraudStream.Training.Evaluation;

/// <summary>
/// The rules hook: given a transaction, its features (schema order) and the model's calibrated score,
/// the rules engine's decision, as the service's ruleset decides: with no rule matching, the model's thresholds
/// (a NaN score: no model, so only rules act; an infinite score: anything but an approve rule declines).
/// Filled from <c>--rules FILE</c>.
/// </summary>
public delegate DecisionKind RuleDecider(Transaction transaction, float[] features, float score);

/// <summary>What <c>fraudstream evaluate</c> takes.</summary>
public sealed class EvaluateOptions
{
    /// <summary>Model package directory (model.json + model.zip).</summary>
    public string Model { get; init; } = "";

    public string File { get; init; } = "";

    public ReplayFormat Format { get; init; } = ReplayFormat.BankSim;

    /// <summary>
    /// Instead of a file, a simulator world of this seed (one the model has not seen: another seed than its training),
    /// scored against the truth and against the labels the simulator would publish (noisy, delayed, partial).
    /// </summary>
    public int? SimulatorSeed { get; init; }

    /// <summary>Transactions of the simulator world.</summary>
    public int SimulatorCount { get; init; } = 150_000;

    /// <summary>The simulator world's label noise; null: the simulator's default.</summary>
    public double? LabelNoise { get; init; }

    /// <summary>The simulator world: standard, or hard (knobs drawn from the seed, stealthy fraud, legitimate outliers).</summary>
    public FraudStream.Ingest.Simulation.SimulatorWorld World { get; init; }

    /// <summary>k of card precision@k per day.</summary>
    public int CardPrecisionK { get; init; } = 100;

    /// <summary>Bootstrap resamples of the days for confidence intervals; 0: none.</summary>
    public int Resamples { get; init; } = 200;

    /// <summary>Confidence level of the intervals.</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>A BankSim step or an RFC 3339 time; earlier transactions only warm the feature state. Null: score all.</summary>
    public string? EvalFrom { get; init; }

    /// <summary>Where to write the report as JSON, if anywhere.</summary>
    public string? JsonReport { get; init; }

    /// <summary>When set, the report adds rules alone, model + rules, and the two compared at equal recall.</summary>
    public RuleDecider? Rules { get; init; }
}
