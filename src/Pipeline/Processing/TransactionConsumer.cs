using System.Buffers.Binary;
using System.Diagnostics;
using Confluent.Kafka;
using FraudStream.Core.Latency;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Latency;
using FraudStream.Pipeline.Hosting;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// The blocking consume loop, on its own thread. It hands each message to the worker that owns its
/// partition and tracks, per partition, which offsets are durably decided; it stores an offset for
/// commit only when every message before it is done. At most <c>MaxInFlight</c> messages are out at once.
/// </summary>
internal sealed partial class TransactionConsumer
{
    /// <summary>Header a producer may set with its creation time in Unix microseconds (Kafka timestamps are ms).</summary>
    public const string CreatedHeader = "fs-created-us";

    private readonly DecisionServiceOptions _options;
    private readonly DecisionWorker[] _workers;
    private readonly DecisionEmitter _emitter;
    private readonly ILogger _logger;
    private readonly Stack<InFlight> _free = new();
    private readonly Dictionary<int, Queue<InFlight>> _pending = [];
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IConsumer<byte[], byte[]>? _consumer;
    private int _inFlight;
    private long _lastLagAt;
    private volatile bool _stopping;
    private bool _paused;
    private volatile IReadOnlyDictionary<int, long> _lag = new Dictionary<int, long>();

    public TransactionConsumer(DecisionServiceOptions options, DecisionWorker[] workers, DecisionEmitter emitter, ILogger logger)
    {
        _options = options;
        _workers = workers;
        _emitter = emitter;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "fs-consumer" };
    }

    public PipelineCounters Counters { get; } = new();

    /// <summary>Written only on the consumer thread: the transit stage.</summary>
    public StageRecorders Recorders { get; } = new("consumer");

    public IReadOnlyDictionary<int, long> LagByPartition => _lag;

    public int InFlightCount => Volatile.Read(ref _inFlight);

    public Task Stopped => _stopped.Task;

    /// <summary>Invoked on the consumer thread after consuming stops and before offsets are committed.</summary>
    public Action? DrainPipeline { get; set; }

    public void Start() => _thread.Start();

    public void RequestStop() => _stopping = true;

    private void Run()
    {
        try
        {
            var config = KafkaClients.ConsumerConfig(_options.Bootstrap, _options.GroupId, _options.ClientId + "-consumer");
            config.MaxPollIntervalMs = _options.MaxPollIntervalMs;
            // Key, value, headers (creation time) and timestamp are read; the topic name is known: not marshalled per message.
            config.ConsumeResultFields = "headers,timestamp";
            using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
                .SetErrorHandler((_, e) => LogKafkaError(_logger, e.Code.ToString(), e.Reason, e.IsFatal))
                .SetPartitionsRevokedHandler((c, revoked) => OnRevoked(c, revoked))
                .SetPartitionsLostHandler((_, lost) => OnLost(lost))
                .Build();
            _consumer = consumer;
            consumer.Subscribe(_options.TransactionsTopic);
            while (!_stopping)
            {
                Advance(consumer);
                ApplyBackPressure(consumer);
                ConsumeResult<byte[], byte[]>? result;
                try
                {
                    // Paused, the loop still polls (group membership, rebalances, errors) but briefly, to resume soon.
                    result = consumer.Consume(_paused ? 1 : 20);
                }
                catch (ConsumeException ex)
                {
                    LogConsumeError(_logger, ex.Error.Reason);
                    continue;
                }

                if (result?.Message is null)
                {
                    continue;
                }

                // A message consumed is always dispatched, paused or not: a partition assigned while paused delivers
                // before it is paused too.
                Dispatch(result);
                if (_paused)
                {
                    consumer.Pause([result.TopicPartition]);
                }

                ReportLag(consumer);
            }

            // Drain: workers finish, the producer flushes, the store writes; then commit what is done.
            DrainPipeline?.Invoke();
            WaitUntilDone(consumer, null, TimeSpan.FromSeconds(120));
            try
            {
                consumer.Commit();
            }
            catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_NoOffset)
            {
                // Nothing new to commit.
            }

            consumer.Close();
            _stopped.TrySetResult();
        }
#pragma warning disable CA1031 // The thread's failure is handed to the hosted service, which stops the host.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogConsumerFailed(_logger, ex);
            _stopped.TrySetException(ex);
        }
    }

    /// <summary>
    /// Pauses every assigned partition when <c>MaxInFlight</c> messages are out and resumes them once a quarter has
    /// drained. The loop keeps calling Consume meanwhile, so a long store outage never exceeds max.poll.interval.ms
    /// (which would evict the instance from the group and lose its partitions).
    /// </summary>
    private void ApplyBackPressure(IConsumer<byte[], byte[]> consumer)
    {
        if (!_paused && _inFlight >= _options.MaxInFlight)
        {
            consumer.Pause(consumer.Assignment);
            _paused = true;
            Counters.AddPause();
        }
        else if (_paused && _inFlight <= _options.MaxInFlight - (_options.MaxInFlight / 4))
        {
            consumer.Resume(consumer.Assignment);
            _paused = false;
        }
    }

    private void Dispatch(ConsumeResult<byte[], byte[]> result)
    {
        var slot = Rent();
        slot.Partition = result.Partition.Value;
        slot.Offset = result.Offset.Value;
        slot.Key = result.Message.Key;
        slot.Payload = result.Message.Value ?? [];
        slot.CreatedUnixMicros = CreatedMicros(result.Message);
        Recorders.Record(Stage.Transit, Clock.UnixMicrosNow() - slot.CreatedUnixMicros);
        if (!_pending.TryGetValue(slot.Partition, out var queue))
        {
            queue = new Queue<InFlight>();
            _pending[slot.Partition] = queue;
        }

        queue.Enqueue(slot);
        _inFlight++;
        Counters.AddConsumed();
        slot.EnqueuedAt = Stopwatch.GetTimestamp();
        _workers[slot.Partition % _workers.Length].Enqueue(slot);
    }

    private static long CreatedMicros(Message<byte[], byte[]> message)
    {
        if (message.Headers is { Count: > 0 } headers && headers.TryGetLastBytes(CreatedHeader, out var bytes) && bytes.Length == 8)
        {
            return BinaryPrimitives.ReadInt64LittleEndian(bytes);
        }

        return message.Timestamp.Type == TimestampType.NotAvailable
            ? Clock.UnixMicrosNow()
            : message.Timestamp.UnixTimestampMs * 1000;
    }

    private InFlight Rent()
    {
        if (_free.TryPop(out var slot))
        {
            slot.Reset();
            return slot;
        }

        return new InFlight(_emitter.OnDelivered);
    }

    /// <summary>Returns finished slots to the pool and stores, per partition, the offset after the last contiguous done one.</summary>
    private void Advance(IConsumer<byte[], byte[]> consumer, IReadOnlyCollection<int>? only = null)
    {
        foreach (var (partition, queue) in _pending)
        {
            if (only is not null && !only.Contains(partition))
            {
                continue;
            }

            long next = -1;
            while (queue.TryPeek(out var head) && head.Done)
            {
                queue.Dequeue();
                next = head.Offset + 1;
                _inFlight--;
                _free.Push(head);
            }

            if (next >= 0)
            {
                try
                {
                    consumer.StoreOffset(new TopicPartitionOffset(_options.TransactionsTopic, partition, next));
                }
                catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_State)
                {
                    // The partition was taken away meanwhile; its new owner resumes from the last commit.
                }
            }
        }
    }

    private void WaitUntilDone(IConsumer<byte[], byte[]> consumer, IReadOnlyCollection<int>? partitions, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            Advance(consumer, partitions);
            var remaining = 0;
            foreach (var (partition, queue) in _pending)
            {
                if (partitions is null || partitions.Contains(partition))
                {
                    remaining += queue.Count;
                }
            }

            if (remaining == 0)
            {
                return;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                LogDrainTimedOut(_logger, remaining);
                return;
            }

            Thread.Sleep(1);
        }
    }

    private void OnRevoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> revoked)
    {
        // Finish what we hold of these partitions and commit it, so the next owner starts after it.
        Counters.AddPartitionsTakenAway(revoked.Count);
        var partitions = new HashSet<int>();
        foreach (var tpo in revoked)
        {
            partitions.Add(tpo.Partition.Value);
        }

        WaitUntilDone(consumer, partitions, TimeSpan.FromSeconds(60));
        try
        {
            consumer.Commit();
        }
        catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_NoOffset)
        {
            // Nothing decided since the last commit.
        }
        catch (KafkaException ex)
        {
            LogConsumeError(_logger, "commit on revoke: " + ex.Error.Reason);
        }
    }

    private void OnLost(List<TopicPartitionOffset> lost)
    {
        // Lost partitions cannot be committed: whatever was decided is recognised as duplicate on redelivery.
        Counters.AddPartitionsTakenAway(lost.Count);
        foreach (var tpo in lost)
        {
            LogPartitionLost(_logger, tpo.Partition.Value);
        }
    }

    private void ReportLag(IConsumer<byte[], byte[]> consumer)
    {
        var now = Environment.TickCount64;
        if (now - _lastLagAt < 1000)
        {
            return;
        }

        _lastLagAt = now;
        var lag = new Dictionary<int, long>();
        foreach (var tp in consumer.Assignment)
        {
            var watermarks = consumer.GetWatermarkOffsets(tp);
            var position = consumer.Position(tp);
            if (watermarks.High.Value >= 0 && position.Value >= 0)
            {
                lag[tp.Partition.Value] = Math.Max(0, watermarks.High.Value - position.Value);
            }
        }

        _lag = lag;
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Kafka error {Code}: {Reason} (fatal: {IsFatal})")]
    private static partial void LogKafkaError(ILogger logger, string code, string reason, bool isFatal);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Consume error: {Reason}")]
    private static partial void LogConsumeError(ILogger logger, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Critical, Message = "The consume loop failed")]
    private static partial void LogConsumerFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Drain timed out with {Remaining} messages still in flight; they will be redelivered")]
    private static partial void LogDrainTimedOut(ILogger logger, int remaining);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Partition {Partition} lost")]
    private static partial void LogPartitionLost(ILogger logger, int partition);
}
