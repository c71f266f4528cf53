using FraudStream.Core.Contracts;
using FraudStream.Ingest.Replay;

namespace FraudStream.Training.Evaluation;

/// <summary>
/// The rules hook: given a transaction, its features (schema order) and the model's calibrated score,
/// the rules engine's decision. The lead fills it from <c>--rules FILE</c>.
/// </summary>
public delegate DecisionKind RuleDecider(Transaction transaction, float[] features, float score);

/// <summary>What <c>fraudstream evaluate</c> takes.</summary>
public sealed class EvaluateOptions
{
    /// <summary>Model package directory (model.json + model.zip).</summary>
    public string Model { get; init; } = "";

    public string File { get; init; } = "";

    public ReplayFormat Format { get; init; } = ReplayFormat.BankSim;

    /// <summary>A BankSim step or an RFC 3339 time; earlier transactions only warm the feature state. Null: score all.</summary>
    public string? EvalFrom { get; init; }

    /// <summary>Where to write the report as JSON, if anywhere.</summary>
    public string? JsonReport { get; init; }

    /// <summary>When set, the report adds rules alone and model + rules.</summary>
    public RuleDecider? Rules { get; init; }
}
