using System.Buffers;
using FraudStream.Core.Contracts;

namespace FraudStream.Core.Stages;

/// <summary>
/// Per-card behaviour and merchant-graph features. The cards of one Kafka partition are one unit of state, with one
/// <see cref="IFeatureWorker"/>; the merchant and device graph is shared by all partitions.
/// </summary>
public interface IFeatureStage
{
    int FeatureCount { get; }

    string SchemaVersion { get; }

    /// <summary>
    /// The feature computer of one partition's cards, the same object on every call. Used from one thread at a time
    /// (the worker that owns the partition); different partitions' workers run concurrently.
    /// </summary>
    IFeatureWorker ForPartition(int partition);

    /// <summary>Ground truth that arrived (chargeback, analyst verdict): feeds the merchant graph.</summary>
    void ApplyLabel(Label label);

    /// <summary>
    /// Writes the whole state (graph, every partition's cards) as one checkpoint. Only while quiescent: no
    /// transaction being processed and no label being applied.
    /// </summary>
    void WriteCheckpoint(IBufferWriter<byte> destination);

    /// <summary>
    /// Copies the whole state into a private snapshot, under the same condition as <see cref="WriteCheckpoint"/>
    /// (quiescent), so that it can be written later while transactions are processed again: the cheap half of a
    /// checkpoint, the only one the workers wait for. Labels applied after the capture wait until the snapshot is
    /// written or disposed. One snapshot at a time: dispose it (after writing) before the next capture.
    /// </summary>
    IStateSnapshot CaptureCheckpoint();

    /// <summary>
    /// <see cref="CaptureCheckpoint"/> split into parts that share nothing: any threads copy them at once, each part
    /// once (the service uses the workers parked at the barrier), then <see cref="IStateCapture.Complete"/> on the
    /// thread that began. Same condition (quiescent) and the same snapshot.
    /// </summary>
    IStateCapture BeginCheckpointCapture();

    /// <summary>
    /// Allocates ahead, off the barrier, the snapshot's buffers that the first captures would otherwise allocate and
    /// fault in under it. Any thread, but not while a capture is being taken.
    /// </summary>
    void PrepareCheckpointCapture();

    /// <summary>
    /// Replaces the state with a checkpoint's, before any partition is used. False, with the reason, when the
    /// checkpoint is refused (damaged, another schema or format); the state is then left as it was.
    /// </summary>
    bool TryRestore(ReadOnlySpan<byte> checkpoint, out string? error);

    /// <summary>Cards held over all partitions (status, checkpoint reports).</summary>
    int CardCount { get; }
}

/// <summary>A capture being taken (<see cref="IFeatureStage.BeginCheckpointCapture"/>); disposed unfinished, it lets labels go on.</summary>
public interface IStateCapture : IDisposable
{
    /// <summary>How many parts there are to copy.</summary>
    int Parts { get; }

    /// <summary>Copies one part, on any thread; parts may be copied at once, each once.</summary>
    void CopyPart(int part);

    /// <summary>The snapshot, once every part is copied; on the thread that began the capture.</summary>
    IStateSnapshot Complete();
}

/// <summary>The feature state as of one capture (<see cref="IFeatureStage.CaptureCheckpoint"/>), to be written once, off the hot path.</summary>
public interface IStateSnapshot : IDisposable
{
    /// <summary>Bytes of state copied, held between captures for reuse (the memory the snapshot costs).</summary>
    long CopiedBytes { get; }

    /// <summary>
    /// Writes the checkpoint: the same bytes <see cref="IFeatureStage.WriteCheckpoint"/> would have written at the
    /// capture. Any thread, once; transactions may be processed meanwhile.
    /// </summary>
    void WriteTo(IBufferWriter<byte> destination);
}

public interface IFeatureWorker
{
    /// <summary>Writes the features of <paramref name="tx"/> as of before it, then adds it to the state.</summary>
    void Process(Transaction tx, Span<float> features);

    /// <summary>
    /// A hint: <paramref name="upcoming"/> will be processed three <see cref="Process"/> calls from now, so its
    /// state can start loading. Never changes a value.
    /// </summary>
    void PrefetchAhead(Transaction upcoming);
}

/// <summary>
/// One loaded model package as the pipeline sees it: version, thresholds, device and explanations, all of one
/// package and never changed. A swap replaces the whole snapshot; <see cref="Available"/> is false (scores NaN,
/// thresholds NaN, version <c>none</c>) before a package has loaded or when running without one.
/// </summary>
public interface IModelSnapshot
{
    bool Available { get; }

    string Version { get; }

    /// <summary><c>cuda</c>, <c>cpu</c> or <c>none</c>.</summary>
    string Device { get; }

    float ReviewThreshold { get; }

    float DeclineThreshold { get; }

    /// <summary>Top features pushing this model's score up (names for reasons); returns how many were written.</summary>
    int Explain(ReadOnlySpan<float> features, Span<string?> topFeatures);
}

/// <summary>The model. Scores are probabilities in 0..1, NaN when no model is available.</summary>
public interface IScoringStage
{
    /// <summary>The snapshot a batch scored now would use: for start-up lines and status, not for stamping decisions.</summary>
    IModelSnapshot Current { get; }

    /// <summary>
    /// Scores <paramref name="rows"/> rows, all with one snapshot, and returns that snapshot: its thresholds and
    /// version are the ones that belong with these scores. May batch with other workers' calls.
    /// </summary>
    IModelSnapshot Score(ReadOnlySpan<float> features, int rows, Span<float> scores, out long batchWaitMicros, out long computeMicros);

    /// <summary>The challenger scoring in shadow beside the champion, or null when there is none (docs/SCORING.md).</summary>
    IModelSnapshot? Challenger => null;

    /// <summary>
    /// As <see cref="Score(ReadOnlySpan{float}, int, Span{float}, out long, out long)"/>, and the challenger's scores of
    /// the same rows into <paramref name="challengerScores"/> when it scored them: <paramref name="challenger"/> is then
    /// its snapshot, else null (no challenger, or it was skipped for this batch: load, error, over budget). The
    /// challenger never changes <paramref name="scores"/>.
    /// </summary>
    IModelSnapshot Score(ReadOnlySpan<float> features, int rows, Span<float> scores, Span<float> challengerScores,
        out IModelSnapshot? challenger, out long batchWaitMicros, out long computeMicros)
    {
        challenger = null;
        return Score(features, rows, scores, out batchWaitMicros, out computeMicros);
    }
}

/// <summary>The analysts' rules. One <see cref="IRulesWorker"/> per pipeline worker (hit counters are per worker).</summary>
public interface IRulesStage
{
    string RulesetVersion { get; }

    IRulesWorker CreateWorker();

    /// <summary>Each rule's hits (shadow rules included) summed over all workers, for the dashboard and /metrics.</summary>
    IReadOnlyList<RuleHitTotal> HitTotals();
}

/// <summary>A rule's hits summed over all workers.</summary>
public sealed record RuleHitTotal(string Name, DecisionKind Action, bool Shadow, long Hits);

public interface IRulesWorker
{
    /// <summary>Appends every matching rule's name to <paramref name="reasons"/> and returns the decision.</summary>
    DecisionKind Decide(Transaction tx, float[] features, float score, float reviewThreshold, float declineThreshold, List<string> reasons);

    /// <summary>
    /// The decision the last <see cref="Decide"/> call would have made with another model's score and thresholds (a
    /// challenger's): the same transaction, features and ruleset, no hits counted, no reasons kept.
    /// </summary>
    DecisionKind WouldDecide(float score, float reviewThreshold, float declineThreshold);
}
