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
