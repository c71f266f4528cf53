using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Hosting;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// Where an output record (a decision or a dead letter) came from: the <c>fs.source</c> header (source partition,
/// int32, and offset, int64, big-endian) that every decision and every dead letter carries. The one place its format is
/// written and read.
/// </summary>
internal static class SourcePosition
{
    public const string Header = "fs.source";
    public const int HeaderLength = 12;

    public static void Write(Span<byte> header, int partition, long offset)
    {
        BinaryPrimitives.WriteInt32BigEndian(header, partition);
        BinaryPrimitives.WriteInt64BigEndian(header[4..], offset);
    }

    public static bool TryRead(Headers? headers, out int partition, out long offset)
    {
        partition = -1;
        offset = -1;
        if (headers is null || !headers.TryGetLastBytes(Header, out var value) || value.Length != HeaderLength)
        {
            return false;
        }

        partition = BinaryPrimitives.ReadInt32BigEndian(value);
        offset = BinaryPrimitives.ReadInt64BigEndian(value.AsSpan(4));
        return true;
    }
}

/// <summary>
/// Which partition of an output topic (<c>decisions</c>, <c>transactions.dlq</c>) carries what was read from each
/// transactions partition: the one of the same number, or, where the output topic has fewer partitions, that number
/// modulo its count (docs/STATE.md). Either way one transactions partition's records are on one output partition, in
/// the order they were read, so they can be read back without reading everyone's. Resized when the transactions topic
/// grows; read by every worker, the map itself never changes once published.
/// </summary>
internal sealed class OutputPartitions
{
    private volatile TopicPartition[] _bySource = [];

    public OutputPartitions(string topic)
    {
        Topic = topic;
    }

    public string Topic { get; }

    /// <summary>The output topic's partitions as last read (0: unknown, then records are keyed and not read back).</summary>
    public int Count { get; private set; }

    /// <summary>The transactions partitions the map covers.</summary>
    public int SourceCount => _bySource.Length;

    public void Resize(int sourcePartitions, int outputPartitions)
    {
        var map = new TopicPartition[outputPartitions > 0 ? sourcePartitions : 0];
        for (var p = 0; p < map.Length; p++)
        {
            map[p] = new TopicPartition(Topic, p % outputPartitions);
        }

        Count = outputPartitions;
        _bySource = map;
    }

    /// <summary>The output partition of <paramref name="sourcePartition"/>; false when it is not mapped (unknown counts).</summary>
    public bool TryGet(int sourcePartition, out TopicPartition partition)
    {
        var map = _bySource;
        if ((uint)sourcePartition < (uint)map.Length)
        {
            partition = map[sourcePartition];
            return true;
        }

        partition = null!;
        return false;
    }
}

/// <summary>
/// Reads back, when a partition is taken over, what its previous owner produced past the committed offset: decisions
/// and dead letters it produced but did not store, or stored but did not commit (a <c>kill -9</c> in between). They are
/// on their topics, so they are stored from there and not produced a second time (docs/STATE.md). An output partition
/// holds one transactions partition's records in the order they were read (or several partitions', modulo its count),
/// so the first record at or past the committed offset is found by a binary search on the <c>fs.source</c> header,
/// without timestamps (the embedded broker cannot look offsets up by time). Runs on the consumer thread inside the
/// assignment handler, with one consumer of its own kept for the service's life.
/// </summary>
internal sealed partial class ProducedReadback : IDisposable
{
    /// <summary>
    /// How many records before the binary search's answer are read too: a delivery that failed and was produced again
    /// sits later than its neighbours, so the sequence of source offsets is only nearly sorted.
    /// </summary>
    private const long ReorderMargin = 2_000;

    /// <summary>How far a probe reads past records of other source partitions (an output topic with fewer partitions) for one of its own.</summary>
    private const int ForeignScanLimit = 5_000;

    /// <summary>A takeover never waits longer than this on one topic's readback: past it, redeliveries are produced again (logged).</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    private readonly DecisionServiceOptions _options;
    private readonly ILogger _logger;
    private IConsumer<byte[], byte[]>? _consumer;

    public ProducedReadback(DecisionServiceOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    /// <summary>The decisions on the topic for transactions read from <paramref name="partition"/> at <paramref name="fromOffset"/> or later.</summary>
    public List<ProducedDecision> ReadDecisions(OutputPartitions decisions, int partition, long fromOffset)
    {
        var found = new List<ProducedDecision>();
        Read(decisions, partition, fromOffset, (offset, message) =>
            found.Add(new ProducedDecision(partition, offset, DecisionMessage.Parse(message.Value))));
        return found;
    }

    /// <summary>The dead letters on the topic for messages read from <paramref name="partition"/> at <paramref name="fromOffset"/> or later.</summary>
    public List<ProducedDeadLetter> ReadDeadLetters(OutputPartitions deadLetters, int partition, long fromOffset)
    {
        var found = new List<ProducedDeadLetter>();
        Read(deadLetters, partition, fromOffset, (offset, message) =>
            found.Add(new ProducedDeadLetter(partition, offset, HeaderText(message.Headers, DeadLetterHeaders.Reason),
                HeaderText(message.Headers, DeadLetterHeaders.Detail))));
        return found;
    }

    private static string HeaderText(Headers? headers, string name) =>
        headers is not null && headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : "";

    private void Read(OutputPartitions output, int partition, long fromOffset, Action<long, Message<byte[], byte[]>> add)
    {
        if (!output.TryGet(partition, out var tp))
        {
            return; // unknown partition counts: its records are keyed over every partition, not read back (warned)
        }

        var consumer = _consumer ??= Build();
        var started = Stopwatch.GetTimestamp();
        var marks = consumer.QueryWatermarkOffsets(tp, ProbeTimeout);
        long low = marks.Low.Value, high = marks.High.Value;
        try
        {
            // The usual case, a clean handover: the last record is of a message before the committed offset.
            if (high <= low || SourceOffsetAt(consumer, tp, high - 1, partition).Offset < fromOffset)
            {
                return;
            }

            // The first position whose own record has a source offset at or past fromOffset.
            long lo = low, hi = high;
            while (lo < hi && Stopwatch.GetElapsedTime(started) < Budget)
            {
                var mid = lo + ((hi - lo) / 2);
                var (offset, at) = SourceOffsetAt(consumer, tp, mid, partition);
                if (offset < fromOffset)
                {
                    lo = at + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            var read = 0L;
            consumer.Assign(new TopicPartitionOffset(tp, Math.Max(low, lo - ReorderMargin)));
            while (true)
            {
                if (Stopwatch.GetElapsedTime(started) > Budget)
                {
                    LogReadbackOverBudget(_logger, output.Topic, partition, read, Budget.TotalSeconds);
                    break;
                }

                var result = consumer.Consume(ProbeTimeout);
                if (result is null || result.IsPartitionEOF)
                {
                    break;
                }

                read++;
                if (SourcePosition.TryRead(result.Message.Headers, out var sourcePartition, out var sourceOffset)
                    && sourcePartition == partition && sourceOffset >= fromOffset)
                {
                    add(sourceOffset, result.Message);
                }

                if (result.Offset.Value + 1 >= high)
                {
                    break;
                }
            }
        }
        finally
        {
            consumer.Unassign();
        }
    }

    /// <summary>
    /// The source offset of the first record at or after <paramref name="position"/> that came from
    /// <paramref name="partition"/>, and where it is; <see cref="long.MaxValue"/> when none comes (the end, or only
    /// other partitions' records), -1 for a record without the header (older ones).
    /// </summary>
    private static (long Offset, long At) SourceOffsetAt(IConsumer<byte[], byte[]> consumer, TopicPartition tp, long position, int partition)
    {
        consumer.Assign(new TopicPartitionOffset(tp, position));
        for (var scanned = 0; scanned < ForeignScanLimit; scanned++)
        {
            var result = consumer.Consume(ProbeTimeout);
            if (result is null || result.IsPartitionEOF)
            {
                break;
            }

            if (!SourcePosition.TryRead(result.Message.Headers, out var sourcePartition, out var offset))
            {
                return (-1, result.Offset.Value);
            }

            if (sourcePartition == partition)
            {
                return (offset, result.Offset.Value);
            }
        }

        return (long.MaxValue, position);
    }

    private IConsumer<byte[], byte[]> Build()
    {
        var config = KafkaClients.ConsumerConfig(_options.Bootstrap, _options.GroupId + "-readback", _options.ClientId + "-readback");
        // Assigned, never subscribed: never a group member, never commits. Probes read one message: prefetch little.
        config.GroupProtocol = GroupProtocol.Classic;
        config.EnableAutoCommit = false;
        config.EnablePartitionEof = true;
        config.QueuedMinMessages = 500;
        config.ConsumeResultFields = "headers";
        return new ConsumerBuilder<byte[], byte[]>(config).Build();
    }

    public void Dispose()
    {
        _consumer?.Close();
        _consumer?.Dispose();
    }

    [LoggerMessage(EventId = 1061, Level = LogLevel.Warning,
        Message = "Reading back from {Topic} what partition {Partition}'s previous owner produced took longer than {Seconds} s ({Read} read); what was not reached is produced again on redelivery")]
    private static partial void LogReadbackOverBudget(ILogger logger, string topic, int partition, long read, double seconds);
}

/// <summary>A decision found on the topic, with the position of the transaction it decided.</summary>
internal sealed record ProducedDecision(int SourcePartition, long SourceOffset, DecisionMessage Decision);

/// <summary>A dead letter found on the topic, with the position of the message it is for, its reason code and detail.</summary>
internal sealed record ProducedDeadLetter(int SourcePartition, long SourceOffset, string Reason, string Detail);

/// <summary>The headers of a dead letter on <c>transactions.dlq</c> (besides <see cref="SourcePosition.Header"/>).</summary>
internal static class DeadLetterHeaders
{
    public const string Reason = "dlq.reason";
    public const string Detail = "dlq.detail";
    public const string SourceTopic = "dlq.source.topic";
    public const string SourcePartition = "dlq.source.partition";
    public const string SourceOffset = "dlq.source.offset";
    public const string PayloadTruncated = "dlq.payload.truncated";
}
