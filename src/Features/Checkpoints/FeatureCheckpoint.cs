namespace FraudStream.Features.Checkpoints;

/// <summary>What a checkpoint store needs to know about a checkpoint without restoring it.</summary>
public static class FeatureCheckpoint
{
    /// <summary>The envelope format this build writes and reads.</summary>
    public const int FormatVersion = CheckpointEnvelope.FormatVersion;

    /// <summary>
    /// Checks a checkpoint whole (magic, format version, kind, schema version, length, checksum) and describes it;
    /// throws <see cref="CheckpointRejectedException"/> exactly where a restore would.
    /// </summary>
    public static CheckpointInfo Describe(ReadOnlySpan<byte> checkpoint) => CheckpointEnvelope.Check(checkpoint, out _);
}
