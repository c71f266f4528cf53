using System.Buffers.Binary;
using System.Diagnostics;
using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Hosting;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// Where each decision on the topic came from: the <c>fs.source</c> header (source partition, int32, and offset,
/// int64, big-endian) that every decision carries, and the alignment of the decisions topic's partitions with the
/// transactions topic's (a decision goes to the partition its transaction was read from, so that one partition's
/// decisions can be read back without reading everyone's).
/// </summary>
internal static class DecisionSource
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
/// Reads back, when a partition is taken over, the decisions its previous owner produced but did not store (a
/// <c>kill -9</c> between the broker's acknowledgement and the store's commit): they are on the topic, so they are
/// stored from there and not decided a second time (docs/STATE.md, "the same decision on redelivery"). A decision goes
/// to the decisions partition of its transaction's partition number, in the order the transactions were read, so the
/// first decision at or past the committed offset is found by a binary search on the <c>fs.source</c> header, without
/// timestamps (the embedded broker cannot look offsets up by time). Runs on the consumer thread inside the assignment
/// handler, with one consumer of its own kept for the service's life.
/// </summary>
internal sealed partial class DecisionReadback : IDisposable
{
    /// <summary>
    /// How many decisions before the binary search's answer are read too: a delivery that failed and was produced
    /// again sits later than its neighbours, so the sequence of source offsets is only nearly sorted.
    /// </summary>
    private const long ReorderMargin = 2_000;

    /// <summary>A takeover never waits longer than this on the readback: past it, redeliveries are decided again (logged).</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    private readonly DecisionServiceOptions _options;
    private readonly ILogger _logger;
    private readonly int _alignedPartitions;
    private IConsumer<byte[], byte[]>? _consumer;

    /// <param name="alignedPartitions">Transactions partitions below this produce to the decisions partition of the same number.</param>
    public DecisionReadback(DecisionServiceOptions options, int alignedPartitions, ILogger logger)
    {
        _options = options;
        _alignedPartitions = alignedPartitions;
        _logger = logger;
    }

    /// <summary>The decisions on the topic for transactions read from <paramref name="partition"/> at <paramref name="fromOffset"/> or later.</summary>
    public List<ProducedDecision> Read(int partition, long fromOffset)
    {
        var found = new List<ProducedDecision>();
        if (partition >= _alignedPartitions)
        {
            return found; // its decisions are spread by key over every partition: not read back (warned at start)
        }

        var consumer = _consumer ??= Build();
        var started = Stopwatch.GetTimestamp();
        var tp = new TopicPartition(_options.DecisionsTopic, partition);
        var marks = consumer.QueryWatermarkOffsets(tp, ProbeTimeout);
        long low = marks.Low.Value, high = marks.High.Value;
        try
        {
            // The usual case, a clean handover: the last decision is of a transaction before the committed offset.
            if (high <= low || SourceOffsetAt(consumer, tp, high - 1) < fromOffset)
            {
                return found;
            }

            // The first position whose source offset is at or past fromOffset (positions before it are all below).
            long lo = low, hi = high - 1;
            while (lo < hi && Stopwatch.GetElapsedTime(started) < Budget)
            {
                var mid = lo + ((hi - lo) / 2);
                if (SourceOffsetAt(consumer, tp, mid) < fromOffset)
                {
                    lo = mid + 1;
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
                    LogReadbackOverBudget(_logger, partition, read, Budget.TotalSeconds);
                    break;
                }

                var result = consumer.Consume(ProbeTimeout);
                if (result is null || result.IsPartitionEOF)
                {
                    break;
                }

                read++;
                if (DecisionSource.TryRead(result.Message.Headers, out var sourcePartition, out var sourceOffset)
                    && sourcePartition == partition && sourceOffset >= fromOffset)
                {
                    found.Add(new ProducedDecision(sourcePartition, sourceOffset, DecisionMessage.Parse(result.Message.Value)));
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

        return found;
    }

    /// <summary>The source offset of the decision at <paramref name="position"/>; -1 without the header (older decisions), or when none came.</summary>
    private static long SourceOffsetAt(IConsumer<byte[], byte[]> consumer, TopicPartition tp, long position)
    {
        consumer.Assign(new TopicPartitionOffset(tp, position));
        var result = consumer.Consume(ProbeTimeout);
        return result is { IsPartitionEOF: false } && DecisionSource.TryRead(result.Message.Headers, out _, out var offset) ? offset : -1;
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
        Message = "Reading back partition {Partition}'s produced decisions took longer than {Seconds} s ({Read} read); what was not reached is decided again on redelivery")]
    private static partial void LogReadbackOverBudget(ILogger logger, int partition, long read, double seconds);
}

/// <summary>A decision found on the topic, with the position of the transaction it decided.</summary>
internal sealed record ProducedDecision(int SourcePartition, long SourceOffset, DecisionMessage Decision);
