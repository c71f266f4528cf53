using System.ComponentModel.DataAnnotations;

namespace FraudStream.Pipeline.State;

/// <summary>Feature-state checkpoints (docs/STATE.md), bound from the <c>Checkpoints</c> configuration section.</summary>
public sealed class CheckpointOptions
{
    public const string Section = "Checkpoints";

    /// <summary>
    /// Off, every start rebuilds the features from the retained log (a replay from the beginning, features only),
    /// however long that takes.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Seconds between checkpoints. Each one parks the workers while the state is written out (about 160 ms for
    /// 100k cards with a full label index: docs/BENCHMARKS.md); a restart replays at most this much plus the time to save one.
    /// </summary>
    [Range(1, 86_400)]
    public int IntervalSeconds { get; set; } = 60;

    /// <summary>Checkpoints kept in the store; older ones are pruned. More than one, so a damaged newest one has a fallback.</summary>
    [Range(1, 100)]
    public int Keep { get; set; } = 3;
}
