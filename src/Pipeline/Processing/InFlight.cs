using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Storage.Records;

namespace FraudStream.Pipeline.Processing;

internal enum Outcome : byte
{
    Pending,
    Decided,
    DeadLettered,
    Duplicate,
}

/// <summary>
/// One consumed message on its way through the pipeline. Slots are pooled (their number bounds what
/// is in flight, which is the back-pressure) and reused, so their buffers are allocated once.
/// </summary>
internal sealed class InFlight
{
    public InFlight(Action<InFlight, DeliveryReport<byte[], byte[]>> onDelivered)
    {
        OnDelivered = report => onDelivered(this, report);
        DecisionHeaders = [new Header(SourcePosition.Header, SourceHeader)];
    }

    public int Partition;
    public long Offset;

    /// <summary>
    /// Fold into the features only, decide nothing: a partition this instance follows but does not decide, or one
    /// it decides being replayed up to its committed offset after a restore (docs/STATE.md).
    /// </summary>
    public bool FeaturesOnly;

    /// <summary>Not a message: tells the worker to finish what it holds and wait (the checkpoint barrier).</summary>
    public CheckpointBarrier? Barrier;
    public byte[]? Key;
    public byte[] Payload = [];

    /// <summary>When the transaction's producer created it, in Unix microseconds.</summary>
    public long CreatedUnixMicros;

    /// <summary>Stopwatch timestamp when the consumer handed the message to a worker.</summary>
    public long EnqueuedAt;

    public long EmitStartedAt;
    public Outcome Outcome;
    public ParseError Error;
    public DecisionKind Decision;
    public float Score;
    public readonly Transaction Transaction = new();
    public readonly DecisionRecord Record = new();
    public readonly DeadLetterRecord DeadLetter = new();
    public readonly List<string> Reasons = new(8);
    public readonly Message<byte[], byte[]> Message = new();

    /// <summary>A decision's headers, allocated once: <see cref="SourceHeader"/> is rewritten for each decision.</summary>
    public readonly Headers DecisionHeaders;

    /// <summary>The <c>fs.source</c> header's bytes (the librdkafka copy is made when the message is produced).</summary>
    public readonly byte[] SourceHeader = new byte[SourcePosition.HeaderLength];

    /// <summary>
    /// A redelivered transaction whose decision is on the topic but not in the store (produced, then the previous owner
    /// died): folded into the features as the first time, then this decision is stored, not a new one produced.
    /// </summary>
    public DecisionMessage? ProducedBefore;

    /// <summary>The delivery handler bound to this slot, allocated once.</summary>
    public readonly Action<DeliveryReport<byte[], byte[]>> OnDelivered;

    /// <summary>Set when the outcome is durable (produced and stored, or a recognised duplicate).</summary>
    private volatile bool _done;

    public bool Done => _done;

    public void MarkDone() => _done = true;

    public void Reset()
    {
        _done = false;
        FeaturesOnly = false;
        Barrier = null;
        Outcome = Outcome.Pending;
        Error = default;
        Reasons.Clear();
        Key = null;
        ProducedBefore = null;
    }
}
