using FraudStream.Core.Latency;
using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Pipeline.Latency;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// Produces decisions and dead letters through the one shared producer and handles delivery reports
/// on librdkafka's delivery thread: end-to-end latency is taken there, at the broker's acknowledgement,
/// then the slot goes to the store writer. Failed deliveries are produced again, never dropped.
/// </summary>
internal sealed partial class DecisionEmitter : IDisposable
{
    /// <summary>A failed delivery has already waited the delivery timeout; a short pause only gathers a round.</summary>
    private const int RetryPauseMs = 50;

    private readonly IProducer<byte[], byte[]> _producer;
    private readonly DecisionServiceTopics _topics;
    private readonly StoreWriter _store;
    private readonly ILogger _logger;
    private readonly BlockingCollection<InFlight> _retries = [];

    /// <summary>The decisions and dead-letter partitions of each transactions partition (docs/STATE.md).</summary>
    private readonly OutputPartitions _decisionPartitions;
    private readonly OutputPartitions _deadLetterPartitions;
    private readonly Thread _retryThread;
    private long _lastFailureLog;

    public DecisionEmitter(IProducer<byte[], byte[]> producer, DecisionServiceTopics topics, OutputPartitions decisionPartitions,
        OutputPartitions deadLetterPartitions, StoreWriter store, ILogger logger)
    {
        _producer = producer;
        _topics = topics;
        _decisionPartitions = decisionPartitions;
        _deadLetterPartitions = deadLetterPartitions;
        _store = store;
        _logger = logger;
        _retryThread = new Thread(RetryLoop) { IsBackground = true, Name = "fs-delivery-retry" };
        _retryThread.Start();
    }

    /// <summary>Written only on the delivery thread.</summary>
    public StageRecorders DeliveryRecorders { get; } = new("delivery");

    public PipelineCounters DeliveryCounters { get; } = new();

    public void EmitDecision(InFlight slot, ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer, long latencySoFarMicros)
    {
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        var r = slot.Record;
        DecisionJson.Write(writer, r.Id, slot.Decision, slot.Score, slot.Reasons, slot.Reasons.Count, r.ModelVersion, r.RulesetVersion, r.DecidedAt, latencySoFarMicros);
        writer.Flush();
        slot.Message.Key = KeyFor(slot)!;
        SourcePosition.Write(slot.SourceHeader, slot.Partition, slot.Offset);
        slot.Message.Headers = slot.DecisionHeaders;
        slot.Message.Value = buffer.WrittenSpan.ToArray();
        slot.Message.Timestamp = Timestamp.Default;
        Produce(_topics.Decisions, slot);
    }

    /// <summary>
    /// A decision or dead letter already on its topic (<see cref="InFlight.ProducedBefore"/>, a dead letter read back)
    /// goes to the store only, as if its acknowledgement had just arrived: the topic does not get it a second time.
    /// </summary>
    public void StoreProducedBefore(InFlight slot)
    {
        slot.EmitStartedAt = Stopwatch.GetTimestamp();
        _store.Enqueue(slot);
    }

    /// <summary>
    /// The most payload bytes a dead letter carries on the topic: a transaction over the parser's limit is refused
    /// for its size anyway, and a dead letter must always fit under the broker's message limit (a 1 MB original plus
    /// headers does not). The store keeps the whole payload.
    /// </summary>
    internal const int DeadLetterPayloadLimit = TransactionJson.MaxPayloadBytes;

    /// <summary>The most characters of its detail a dead letter carries on the topic.</summary>
    internal const int DeadLetterDetailLimit = 1024;

    /// <summary>The most key bytes a dead letter carries (a key is a card id; anything longer is not one).</summary>
    internal const int DeadLetterKeyLimit = 256;

    /// <summary>
    /// The original bytes go out unchanged up to <see cref="DeadLetterPayloadLimit"/> (longer ones are cut, and the
    /// <c>dlq.payload.truncated</c> header gives the original length); reason and source position travel in headers:
    /// <c>fs.source</c> as on a decision (what a takeover reads back), and <c>dlq.source.*</c> as text for people.
    /// </summary>
    public void EmitDeadLetter(InFlight slot)
    {
        slot.Message.Key = Truncated(slot.Key, DeadLetterKeyLimit)!;
        slot.Message.Value = Truncated(slot.Payload, DeadLetterPayloadLimit)!;
        slot.Message.Timestamp = Timestamp.Default;
        var headers = new Headers();
        slot.Message.Headers = headers;
        var source = new byte[SourcePosition.HeaderLength];
        SourcePosition.Write(source, slot.Partition, slot.Offset);
        headers.Add(SourcePosition.Header, source);
        headers.Add(DeadLetterHeaders.Reason, Encoding.UTF8.GetBytes(slot.Error.Reason.ToCode()));
        headers.Add(DeadLetterHeaders.Detail, Encoding.UTF8.GetBytes(Truncated(slot.Error.Detail, DeadLetterDetailLimit)));
        headers.Add(DeadLetterHeaders.SourceTopic, Encoding.UTF8.GetBytes(_topics.Transactions));
        headers.Add(DeadLetterHeaders.SourcePartition, Encoding.UTF8.GetBytes(slot.Partition.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.SourceOffset, Encoding.UTF8.GetBytes(slot.Offset.ToString(CultureInfo.InvariantCulture)));
        if (slot.Payload.Length > DeadLetterPayloadLimit)
        {
            headers.Add(DeadLetterHeaders.PayloadTruncated, Encoding.UTF8.GetBytes(slot.Payload.Length.ToString(CultureInfo.InvariantCulture)));
        }

        Produce(_topics.DeadLetters, slot);
    }

    private static byte[]? Truncated(byte[]? bytes, int limit) => bytes is null || bytes.Length <= limit ? bytes : bytes[..limit];

    private static string Truncated(string text, int limit) => text.Length <= limit ? text : text[..limit];

    private static byte[]? KeyFor(InFlight slot)
    {
        // Reuse the consumed key when it already is the card id (the normal case); a PAN key was tokenised.
        var card = slot.Transaction.Card;
        var key = slot.Key;
        if (key is not null && key.Length == card.Length && Encoding.UTF8.GetByteCount(card) == key.Length)
        {
            Span<byte> tmp = key.Length <= 256 ? stackalloc byte[key.Length] : new byte[key.Length];
            Encoding.UTF8.GetBytes(card, tmp);
            if (tmp.SequenceEqual(key))
            {
                return key;
            }
        }

        return Encoding.UTF8.GetBytes(card);
    }

    private void Produce(string topic, InFlight slot)
    {
        slot.EmitStartedAt = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                var output = ReferenceEquals(topic, _topics.Decisions) ? _decisionPartitions : _deadLetterPartitions;
                if (output.TryGet(slot.Partition, out var partition))
                {
                    _producer.Produce(partition, slot.Message, slot.OnDelivered);
                }
                else
                {
                    _producer.Produce(topic, slot.Message, slot.OnDelivered);
                }

                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The local queue drains as the broker acknowledges: wait a moment (back-pressure).
                Thread.Sleep(1);
            }
            catch (KafkaException ex)
            {
                // Any other refusal (too large, unknown topic, a fatal producer) must not kill the calling worker or
                // the retry thread: the slot stays in flight (its offset is never committed past) and is tried again.
                DeliveryCounters.AddDeliveryRetry();
                LogProduceRefused(ex.Error.Code, topic, ex.Error.Reason);
                RetryLater(slot);
                return;
            }
        }
    }

    private void RetryLater(InFlight slot)
    {
        try
        {
            _retries.Add(slot);
        }
        catch (InvalidOperationException)
        {
            // Completed or disposed (shutdown; ObjectDisposedException is one too): the slot stays undelivered,
            // so its offset is never committed and the transaction is read again on the next start.
        }
    }

    private void LogProduceRefused(ErrorCode code, string topic, string reason)
    {
        var now = Environment.TickCount64;
        if (now - _lastFailureLog > 5_000)
        {
            _lastFailureLog = now;
            LogProduceFailed(_logger, topic, code, reason);
        }
    }

    /// <summary>Runs on librdkafka's delivery thread.</summary>
    internal void OnDelivered(InFlight slot, DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError)
        {
            DeliveryCounters.AddDeliveryRetry();
            var now = Environment.TickCount64;
            if (now - _lastFailureLog > 5_000)
            {
                _lastFailureLog = now;
                LogDeliveryFailed(_logger, report.Topic, report.Error.Reason);
            }

            RetryLater(slot);
            return;
        }

        var ackAt = Stopwatch.GetTimestamp();
        DeliveryRecorders.RecordSince(Stage.Emit, slot.EmitStartedAt, ackAt);
        if (slot.Outcome == Outcome.Decided)
        {
            var e2e = Clock.UnixMicrosNow() - slot.CreatedUnixMicros;
            DeliveryRecorders.Record(Stage.EndToEnd, e2e);
            slot.Record.LatencyUs = e2e;
            DeliveryCounters.AddProduced();
        }

        _store.Enqueue(slot);
    }

    /// <summary>
    /// Produces again what the broker did not take, everything queued at once in one round (in the order it failed,
    /// which is per-partition produce order), with one short pause per round rather than per message: after an
    /// outage, tens of thousands of failed deliveries go out again at once instead of one every 50 ms.
    /// </summary>
    private void RetryLoop()
    {
        var round = new List<InFlight>();
        while (_retries.TryTake(out var first, Timeout.Infinite))
        {
            round.Add(first);
            Thread.Sleep(RetryPauseMs);
            while (_retries.TryTake(out var more))
            {
                round.Add(more);
            }

            foreach (var slot in round)
            {
                Produce(slot.Outcome == Outcome.DeadLettered ? _topics.DeadLetters : _topics.Decisions, slot);
            }

            round.Clear();
        }
    }

    public void Dispose()
    {
        _retries.CompleteAdding();
        _retryThread.Join(TimeSpan.FromSeconds(5));
        _retries.Dispose();
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Delivery to {Topic} failed ({Reason}); producing again")]
    private static partial void LogDeliveryFailed(ILogger logger, string topic, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "Producing to {Topic} was refused ({Code}: {Reason}); kept in flight and tried again")]
    private static partial void LogProduceFailed(ILogger logger, string topic, ErrorCode code, string reason);
}

internal sealed record DecisionServiceTopics(string Transactions, string Decisions, string DeadLetters, string Labels);

internal static class Clock
{
    public static long UnixMicrosNow() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}
