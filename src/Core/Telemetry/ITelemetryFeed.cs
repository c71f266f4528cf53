namespace FraudStream.Core.Telemetry;

/// <summary>
/// The one way telemetry leaves the pipeline (the dashboard is fed through it): once a second the reporter thread
/// hands every registered feed the second's snapshot, in order. Off the per-transaction path, but on the reporter's
/// thread: return quickly.
/// </summary>
public interface ITelemetryFeed
{
    void Publish(PipelineSnapshot snapshot);
}

/// <summary>
/// A scoring stage that batches reports its batch sizes (the scoring port has no notion of batches);
/// the reporter asks once a second.
/// </summary>
public interface IScorerStatus
{
    /// <summary>Ascending by size, sizes never used left out.</summary>
    IReadOnlyList<BatchSizeCount> BatchSizes();
}

/// <summary>A rules stage that reloads its rules reports the failed reloads; the reporter asks once a second.</summary>
public interface IRulesStatus
{
    /// <summary>Newest first; empty while the rules in force are the latest ones.</summary>
    IReadOnlyList<RulesReloadError> ReloadErrors { get; }
}

/// <summary>A feature stage that holds state reports its size and evictions; the reporter asks once a second.</summary>
public interface IFeatureStatus
{
    FeatureStateTelemetry StateNow();
}

/// <summary>
/// A scoring stage that can run a challenger in shadow: what it has done (the reporter asks once a second) and the
/// promotion, by the service that polls the store for requests (<c>fraudstream models promote</c>).
/// </summary>
public interface IChallengerStatus
{
    /// <summary>The challenger's telemetry; <see cref="ChallengerTelemetry.Comparison"/> is left null (the store has it).</summary>
    ChallengerTelemetry ChallengerNow();

    /// <summary>Makes the challenger the champion by one snapshot swap; false (versions unchanged) when there is none.</summary>
    bool TryPromote(out string previousVersion, out string promotedVersion);
}
