using System.Globalization;

namespace FraudStream.Training.Modeling;

/// <summary>The trainer and its settings for one model.</summary>
public sealed record Hyperparameters(TrainerKind Trainer, int Trees, int Leaves, double LearningRate)
{
    public static Hyperparameters Of(TrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.Trainer, options.NumberOfTrees, options.NumberOfLeaves, options.LearningRate);
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Trainer} {Trees} trees, {Leaves} leaves, lr {LearningRate}");
}

/// <summary>
/// <c>train --search N</c>: a small, fixed, time-ordered search. The candidates are the given settings first, then
/// steps around them in a fixed order (more trees at a lower rate, more or fewer leaves, fewer trees at a higher rate);
/// each trains on the earlier part and is scored on the later validation part; the best validation PR-AUC wins (the
/// earlier candidate on a tie). With <see cref="TrainerKind.Auto"/> every step is tried with FastTree, then LightGbm
/// (N of each). No randomness: the same options give the same candidates.
/// </summary>
public static class ModelSearch
{
    public const int MaxCandidates = 8;

    /// <summary>Multipliers of (trees, leaves, learning rate) relative to the given settings, in the order they are tried.</summary>
    private static readonly (double Trees, double Leaves, double Rate)[] Steps =
    [
        (1, 1, 1),
        (2, 1, 0.5),
        (1, 2, 1),
        (0.5, 2.0 / 3, 2),
        (2, 2, 0.5),
        (1, 2.0 / 3, 0.5),
        (0.5, 2, 2),
        (2, 2.0 / 3, 1),
    ];

    /// <summary>Up to <paramref name="count"/> distinct candidates (fewer when small settings make steps coincide).</summary>
    public static List<Hyperparameters> Candidates(Hyperparameters given, int count)
    {
        ArgumentNullException.ThrowIfNull(given);
        TrainerKind[] trainers = given.Trainer == TrainerKind.Auto ? [TrainerKind.FastTree, TrainerKind.LightGbm] : [given.Trainer];
        var candidates = new List<Hyperparameters>();
        var wanted = Math.Max(count, 1) * trainers.Length;
        foreach (var (trees, leaves, rate) in Steps)
        {
            if (candidates.Count >= wanted)
            {
                break;
            }

            foreach (var trainer in trainers)
            {
                var candidate = given with
                {
                    Trainer = trainer,
                    Trees = Math.Clamp((int)Math.Round(given.Trees * trees), 1, 10_000),
                    Leaves = Math.Clamp((int)Math.Round(given.Leaves * leaves), 2, 1_024),
                    LearningRate = Math.Min(1, Math.Round(given.LearningRate * rate, 6)),
                };
                if (!candidates.Contains(candidate))
                {
                    candidates.Add(candidate);
                }
            }
        }

        return candidates;
    }
}
