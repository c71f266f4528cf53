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
    /// Seconds between checkpoints. Each one parks the workers while they copy the state with the checkpoint's thread
    /// (1.5-5 ms for 10k cards on the GPU host's 16 cores: docs/BENCHMARKS.md); a restart replays at most this much plus
    /// the time to save one.
    /// </summary>
    [Range(1, 86_400)]
    public int IntervalSeconds { get; set; } = 60;

    /// <summary>Checkpoints kept in the store; older ones are pruned. More than one, so a damaged newest one has a fallback.</summary>
    [Range(1, 100)]
    public int Keep { get; set; } = 3;

    /// <summary>
    /// Commit each saved checkpoint's offsets under the group <c>GROUP-checkpoints</c>: a broker that trims what every
    /// group has consumed (the embedded one) then keeps what a restore must replay, and the replay a restart would take
    /// is that group's lag. Off, the embedded broker may drop that replay, so a restart after a crash misses it. Real
    /// Kafka keeps by time whatever the groups commit; there this only shows the lag. For measurements: on the
    /// embedded broker, the retention it holds costs fetch latency (docs/STATE.md).
    /// </summary>
    public bool GuardRetention { get; set; } = true;
}
