using FraudStream.Core.Telemetry;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// Counters written by exactly one thread each (a worker, the delivery thread or the store writer) and
/// read by the reporter, so no counter is ever contended.
/// </summary>
public sealed class PipelineCounters
{
    private long _consumed;
    private long _decided;
    private long _approve;
    private long _review;
    private long _decline;
    private long _deadLettered;
    private long _duplicates;
    private long _modelUnavailable;
    private long _produced;
    private long _persisted;
    private long _storeDuplicates;
    private long _deliveryRetries;
    private long _pauses;
    private long _partitionsTakenAway;
    private long _followed;
    private long _storedFromTopic;
    private long _deadLettersStoredFromTopic;

    public long Consumed => Volatile.Read(ref _consumed);
    public long Decided => Volatile.Read(ref _decided);
    public long Approve => Volatile.Read(ref _approve);
    public long Review => Volatile.Read(ref _review);
    public long Decline => Volatile.Read(ref _decline);
    public long DeadLettered => Volatile.Read(ref _deadLettered);
    public long Duplicates => Volatile.Read(ref _duplicates);
    public long ModelUnavailable => Volatile.Read(ref _modelUnavailable);
    public long Produced => Volatile.Read(ref _produced);
    public long Persisted => Volatile.Read(ref _persisted);
    public long StoreDuplicates => Volatile.Read(ref _storeDuplicates);
    public long DeliveryRetries => Volatile.Read(ref _deliveryRetries);

    /// <summary>Times consumption paused for back-pressure.</summary>
    public long Pauses => Volatile.Read(ref _pauses);

    /// <summary>Partitions revoked from or lost by this instance.</summary>
    public long PartitionsTakenAway => Volatile.Read(ref _partitionsTakenAway);

    /// <summary>Transactions folded into the features without a decision (followed partitions, replays after a restore).</summary>
    public long Followed => Volatile.Read(ref _followed);

    /// <summary>Redelivered transactions whose decision was on the topic but not in the store: stored from the topic, not decided again.</summary>
    public long StoredFromTopic => Volatile.Read(ref _storedFromTopic);

    /// <summary>Redelivered messages whose dead letter was on its topic past the committed offset: stored from there, not produced again.</summary>
    public long DeadLettersStoredFromTopic => Volatile.Read(ref _deadLettersStoredFromTopic);

    internal void AddDeadLettersStoredFromTopic() => Volatile.Write(ref _deadLettersStoredFromTopic, _deadLettersStoredFromTopic + 1);
    internal void AddStoredFromTopic() => Volatile.Write(ref _storedFromTopic, _storedFromTopic + 1);
    internal void AddFollowed(int n) => Volatile.Write(ref _followed, _followed + n);
    internal void AddConsumed() => Volatile.Write(ref _consumed, _consumed + 1);
    internal void AddDeadLettered() => Volatile.Write(ref _deadLettered, _deadLettered + 1);
    internal void AddDeadLettered(long n) => Volatile.Write(ref _deadLettered, _deadLettered + n);
    internal void AddDuplicate() => Volatile.Write(ref _duplicates, _duplicates + 1);
    internal void AddModelUnavailable() => Volatile.Write(ref _modelUnavailable, _modelUnavailable + 1);
    internal void AddProduced() => Volatile.Write(ref _produced, _produced + 1);
    internal void AddPersisted(long n) => Volatile.Write(ref _persisted, _persisted + n);
    internal void AddStoreDuplicates(long n) => Volatile.Write(ref _storeDuplicates, _storeDuplicates + n);
    internal void AddDeliveryRetry() => Volatile.Write(ref _deliveryRetries, _deliveryRetries + 1);
    internal void AddPause() => Volatile.Write(ref _pauses, _pauses + 1);
    internal void AddPartitionsTakenAway(int n) => Volatile.Write(ref _partitionsTakenAway, _partitionsTakenAway + n);

    internal void AddDecision(Core.Contracts.DecisionKind kind)
    {
        Volatile.Write(ref _decided, _decided + 1);
        switch (kind)
        {
            case Core.Contracts.DecisionKind.Approve: Volatile.Write(ref _approve, _approve + 1); break;
            case Core.Contracts.DecisionKind.Review: Volatile.Write(ref _review, _review + 1); break;
            default: Volatile.Write(ref _decline, _decline + 1); break;
        }
    }

    /// <summary>Sums counters of several owners (reporter side).</summary>
    public static PipelineTotals Sum(IEnumerable<PipelineCounters> all)
    {
        ArgumentNullException.ThrowIfNull(all);
        var t = new PipelineTotals();
        foreach (var c in all)
        {
            t.Consumed += c.Consumed;
            t.Decided += c.Decided;
            t.Approve += c.Approve;
            t.Review += c.Review;
            t.Decline += c.Decline;
            t.DeadLettered += c.DeadLettered;
            t.Followed += c.Followed;
            t.Duplicates += c.Duplicates + c.StoreDuplicates;
            t.ModelUnavailable += c.ModelUnavailable;
            t.Produced += c.Produced;
            t.Persisted += c.Persisted;
            t.DeliveryRetries += c.DeliveryRetries;
            t.Pauses += c.Pauses;
            t.PartitionsTakenAway += c.PartitionsTakenAway;
        }

        return t;
    }
}
