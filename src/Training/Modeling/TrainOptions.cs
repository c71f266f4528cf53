namespace FraudStream.Training.Modeling;

public enum TrainingSource
{
    Simulator,
    BankSim,
    JsonLines,
}

public enum TrainerKind
{
    FastTree,
    LightGbm,
}

/// <summary>What <c>fraudstream train</c> takes.</summary>
public sealed class TrainOptions
{
    public TrainingSource Source { get; init; } = TrainingSource.Simulator;

    /// <summary>Input file for banksim/jsonl (plain or gzip).</summary>
    public string? File { get; init; }

    public int Seed { get; init; } = 42;

    /// <summary>Package directory to write.</summary>
    public string Out { get; init; } = "model";

    /// <summary>Transactions to simulate (simulator only).</summary>
    public int Count { get; init; } = 300_000;

    public TrainerKind Trainer { get; init; } = TrainerKind.FastTree;

    public double ReviewTargetFpr { get; init; } = 0.02;

    public double DeclineTargetFpr { get; init; } = 0.002;

    /// <summary>The later share of the rows (by time) held out for validation and thresholds.</summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>Only history before this is used: a BankSim step (e.g. 120) or an RFC 3339 time. Null: all.</summary>
    public string? TrainBefore { get; init; }

    public int NumberOfTrees { get; init; } = 200;

    public int NumberOfLeaves { get; init; } = 24;

    public double LearningRate { get; init; } = 0.1;

    /// <summary>Positive examples weigh (negatives / positives) ^ this: 0 = no reweighting, 1 = balanced.</summary>
    public double ImbalancePower { get; init; } = 0.5;

    /// <summary>Writes model.cpu.onnx and checks it against ML.NET with ONNX Runtime.</summary>
    public bool ExportOnnx { get; init; } = true;
}
