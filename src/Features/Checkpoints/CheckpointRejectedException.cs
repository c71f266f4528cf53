namespace FraudStream.Features.Checkpoints;

/// <summary>Why a checkpoint was refused: callers fall back (an older checkpoint, a longer replay) on any of them.</summary>
public enum CheckpointRejection
{
    /// <summary>Too short to hold a header, or the magic is not there: not a feature checkpoint at all.</summary>
    NotACheckpoint,

    /// <summary>Written by a format version this build cannot read.</summary>
    UnsupportedFormat,

    /// <summary>A checkpoint of other state (a graph's handed to an engine, say).</summary>
    WrongKind,

    /// <summary>Written for another <see cref="Schema.FeatureSchema.Version"/>: its state means other features.</summary>
    SchemaMismatch,

    /// <summary>Shorter or longer than the length it declares: cut off in transfer or storage.</summary>
    Truncated,

    /// <summary>The bytes do not match the checksum written with them.</summary>
    ChecksumMismatch,

    /// <summary>The envelope checked out but the payload did not parse (a writer defect, or a checksum collision).</summary>
    Malformed,
}

/// <summary>
/// A feature checkpoint that cannot be restored. Thrown before any state is built from it: every check on the
/// envelope (magic, versions, length, checksum) runs before the payload is read.
/// </summary>
public sealed class CheckpointRejectedException : Exception
{
    public CheckpointRejectedException()
        : this(CheckpointRejection.Malformed, "the checkpoint was refused")
    {
    }

    public CheckpointRejectedException(string message)
        : this(CheckpointRejection.Malformed, message)
    {
    }

    public CheckpointRejectedException(string message, Exception innerException)
        : base(message, innerException) => Reason = CheckpointRejection.Malformed;

    public CheckpointRejectedException(CheckpointRejection reason, string message)
        : base(message) => Reason = reason;

    public CheckpointRejection Reason { get; }
}
