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

    /// <summary>Both, with the same settings; the time-ordered validation picks (<see cref="ModelSearch"/>).</summary>
    Auto,
}

/// <summary>What <c>fraudstream train</c> takes.</summary>
public sealed class TrainOptions
{
    public TrainingSource Source { get; init; } = TrainingSource.Simulator;

    /// <summary>Input file for banksim/jsonl (plain or gzip).</summary>
    public string? File { get; init; }

    /// <summary>The trainer's seed and, without <see cref="Seeds"/>, the simulator world's.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>
    /// Simulator only: train on several worlds pooled, one per seed (each replayed through its own feature state; the
    /// later <see cref="ValidationFraction"/> of each validates). Null: the one world of <see cref="Seed"/>.
    /// </summary>
    public IReadOnlyList<int>? Seeds { get; init; }

    /// <summary>At most this many pooled worlds (each is <see cref="Count"/> transactions, all held in memory).</summary>
    public const int MaxWorlds = 16;

    /// <summary>The simulator worlds to train on: <see cref="Seeds"/>, else the one of <see cref="Seed"/>.</summary>
    public IReadOnlyList<int> WorldSeeds => Seeds ?? [Seed];

    /// <summary>Package directory to write.</summary>
    public string Out { get; init; } = "model";

    /// <summary>Transactions to simulate (simulator only), per world.</summary>
    public int Count { get; init; } = 300_000;

    public TrainerKind Trainer { get; init; } = TrainerKind.Auto;

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

    /// <summary>Simulator only: the share of labels that say the opposite of the truth; null: the simulator's default (1 %).</summary>
    public double? LabelNoise { get; init; }

    /// <summary>Simulator only: the standard world or a hard one (knobs drawn from the seed, stealthy fraud).</summary>
    public FraudStream.Ingest.Simulation.SimulatorWorld World { get; init; }

    /// <summary>Where step 0 of a step-valued <see cref="TrainBefore"/> starts (RFC 3339); null: the source's own (BankSim: its day 0; else midnight UTC of the first transaction's day).</summary>
    public string? StepOrigin { get; init; }

    /// <summary>Candidates of the hyperparameter search per trainer (<see cref="ModelSearch"/>); 0 or 1: train the given ones only.</summary>
    public int Search { get; init; }

    /// <summary>The first problem with the options, or null.</summary>
    public string? Problem() =>
        NumberOfTrees is < 1 or > 10_000 ? "--trees must be 1 to 10,000"
        : NumberOfLeaves is < 2 or > 1_024 ? "--leaves must be 2 to 1,024"
        : !(LearningRate > 0 && LearningRate <= 1) ? "--learning-rate must be in (0, 1]"
        : Search is < 0 or > ModelSearch.MaxCandidates ? $"--search must be 0 to {ModelSearch.MaxCandidates}"
        : LabelNoise is { } noise && !(noise >= 0 && noise <= 0.5) ? "--label-noise must be in [0, 0.5]"
        : LabelNoise is not null && Source != TrainingSource.Simulator ? "--label-noise is for --source simulator (a file's labels are what they are)"
        : World != FraudStream.Ingest.Simulation.SimulatorWorld.Standard && Source != TrainingSource.Simulator ? "--world is for --source simulator"
        : Source != TrainingSource.Simulator && string.IsNullOrEmpty(File) ? "--file is required for --source banksim and jsonl"
        : !(ValidationFraction > 0 && ValidationFraction < 1) ? "the validation fraction must be in (0, 1)"
        : Count < 1 ? "--count must be at least 1"
        : SeedsProblem();

    private string? SeedsProblem() =>
        Seeds is null ? null
        : Source != TrainingSource.Simulator ? "--seeds is for --source simulator (one world per seed)"
        : Seeds.Count is < 1 or > MaxWorlds ? $"--seeds takes 1 to {MaxWorlds} seeds"
        : Seeds.Distinct().Count() != Seeds.Count ? "--seeds lists a seed twice (the same world would only weigh double)"
        : null;

    /// <summary>
    /// Parses <c>--seeds</c>: comma-separated integers (<c>42,43,44,45</c>) or an inclusive range (<c>42..49</c>), or
    /// both mixed (<c>1,5..7</c>). <paramref name="problem"/> says what is wrong otherwise.
    /// </summary>
    public static bool TryParseSeeds(string? text, out IReadOnlyList<int> seeds, out string? problem)
    {
        var parsed = new List<int>();
        seeds = parsed;
        problem = null;
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.TrimEntries))
        {
            var range = part.Split("..", StringSplitOptions.TrimEntries);
            if (range.Length == 1 && Integer(range[0]) is { } single)
            {
                parsed.Add(single);
            }
            else if (range.Length == 2 && Integer(range[0]) is { } from && Integer(range[1]) is { } to && from <= to && to - (long)from < MaxWorlds)
            {
                for (var i = 0; i <= to - from; i++)
                {
                    parsed.Add(from + i);
                }
            }
            else
            {
                problem = $"--seeds: '{part}' is not a seed or a range FROM..TO of at most {MaxWorlds} (e.g. 42,43,44,45 or 42..45)";
                return false;
            }
        }

        return true;
    }

    private static int? Integer(string text) =>
        int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value : null;
}
