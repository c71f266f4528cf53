using System.Buffers.Binary;
using System.Diagnostics;
using Confluent.Kafka;
using FraudStream.Core.Latency;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Latency;
using FraudStream.Pipeline.Hosting;
using FraudStream.Pipeline.State;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// The blocking consume loop, on its own thread, a member of the consumer group: the partitions the group assigns it
/// are the ones this instance decides. It hands each message to the worker that owns its partition and tracks, per
/// partition, which offsets are durably decided; it stores an offset for commit only when every message before it is
/// done. At most <c>MaxInFlight</c> messages are out at once. A partition assigned is taken over from the
/// <see cref="PartitionFollower"/> at the offset its features have reached; what lies between that and the group's
/// committed offset is replayed through the features only, then deciding starts. A partition taken away is drained,
/// committed and handed back to the follower. Checkpoints are taken here, between polls (docs/STATE.md).
/// </summary>
internal sealed partial class TransactionConsumer
{
    /// <summary>Header a producer may set with its creation time in Unix microseconds (Kafka timestamps are ms).</summary>
    public const string CreatedHeader = "fs-created-us";

    private readonly DecisionServiceOptions _options;
    private readonly PartitionFollower _follower;
    private readonly ReplayProgress _progress;
    private readonly StateCheckpointer? _checkpointer;

    // Per decided partition: the next offset (last dispatched + 1, or where it started) and, while its features are
    // being replayed up to the committed offset, that offset.
    private readonly Dictionary<int, long> _next = [];
    private readonly Dictionary<int, long> _replayUntil = [];
    private readonly Dictionary<int, long> _storedNext = [];
    private readonly HashSet<int> _held = [];
    private bool _caughtUp;
    private CapturedCheckpoint? _awaitingCommit;
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

    // Set once the drain is over and Close() runs: a rebalance delivered inside Close() is answered without a takeover.
    private bool _closing;
    private bool _paused;
    private volatile IReadOnlyDictionary<int, long> _lag = new Dictionary<int, long>();

    public TransactionConsumer(DecisionServiceOptions options, DecisionWorker[] workers, DecisionEmitter emitter,
        PartitionFollower follower, ReplayProgress progress, StateCheckpointer? checkpointer, ILogger logger)
    {
        _options = options;
        _follower = follower;
        _progress = progress;
        _checkpointer = checkpointer;
        _workers = workers;
        _emitter = emitter;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "fs-consumer" };
    }

    public PipelineCounters Counters { get; } = new();

    /// <summary>Written only on the consumer thread: the transit stage.</summary>
    public StageRecorders Recorders { get; } = new("consumer");

    public IReadOnlyDictionary<int, long> LagByPartition => _lag;

    /// <summary>Partitions this instance decides now.</summary>
    public IReadOnlyCollection<int> Decided => _decidedNow;

    private volatile IReadOnlyCollection<int> _decidedNow = [];

    public int InFlightCount => Volatile.Read(ref _inFlight);

    public Task Stopped => _stopped.Task;

    /// <summary>On the consumer thread, when a partition is assigned: its number and the group's committed offset (-1: none).</summary>
    public Action<int, long>? TakingOver { get; set; }

    /// <summary>Invoked on the consumer thread after consuming stops and before offsets are committed.</summary>
    public Action? DrainPipeline { get; set; }

    public void Start() => _thread.Start();

    public void RequestStop() => _stopping = true;

    private void Run()
    {
        try
        {
            var config = KafkaClients.ConsumerConfig(_options.Bootstrap, _options.GroupId, _options.ClientId + "-consumer", _options.FetchWaitMaxMs);
            config.MaxPollIntervalMs = _options.MaxPollIntervalMs;
            // Other instances fold this instance's partitions up to its commits: committing often keeps their graphs fresh.
            config.AutoCommitIntervalMs = 50;
            // Partitions added to the topic are seen within this (librdkafka's default is 5 minutes).
            config.TopicMetadataRefreshIntervalMs = PartitionFollower.PartitionDiscoveryMs;
            // Key, value, headers (creation time) and timestamp are read; the topic name is known: not marshalled per message.
            config.ConsumeResultFields = "headers,timestamp";
            using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
                .SetErrorHandler((_, e) => LogKafkaError(_logger, e.Code.ToString(), e.Reason, e.IsFatal))
                .SetPartitionsAssignedHandler((c, assigned) => OnAssigned(c, assigned))
                .SetPartitionsRevokedHandler((c, revoked) => OnRevoked(c, revoked))
                .SetPartitionsLostHandler((_, lost) => OnLost(lost))
                .Build();
            _consumer = consumer;
            consumer.Subscribe(_options.TransactionsTopic);
            while (!_stopping)
            {
                Advance(consumer);
                CheckpointIfDue(consumer);
                ApplyBackPressure(consumer);
                ReleaseHeldIfCaughtUp(consumer);
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

                if (HoldUntilCaughtUp(consumer, result))
                {
                    continue;
                }

                // A message consumed is always dispatched, paused or not: a partition assigned while paused delivers
                // before it is paused too.
                Dispatch(result);
                if (_paused)
                {
                    consumer.Pause([new TopicPartition(_options.TransactionsTopic, result.Partition)]); // the result has no topic name
                }

                ReportLag(consumer);
            }

            // Drain: the follower stops, workers finish, the producer flushes, the store writes; then commit what is done.
            DrainPipeline?.Invoke();
            WaitUntilDone(consumer, null, TimeSpan.FromSeconds(120));
            if (CommitDone(consumer))
            {
                // The workers have stopped: the state is still, and everything dispatched is committed.
                _checkpointer?.SaveAtStop(new Dictionary<int, long>(_next));
            }

            LogClosing(_logger);
            _closing = true;
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
    /// Until every partition's features have caught up after the start (restore, replay, the follower's first pass over
    /// the others' partitions), nothing is decided: a decision then would see a graph without the cards still being
    /// folded in. A message to decide is put back (seek) and its partition paused; replays go on. Once caught up, the
    /// held partitions resume.
    /// </summary>
    private bool HoldUntilCaughtUp(IConsumer<byte[], byte[]> consumer, ConsumeResult<byte[], byte[]> result)
    {
        if (_caughtUp || ReleaseHeldIfCaughtUp(consumer))
        {
            return false;
        }

        var partitionId = result.Partition.Value;
        if (_replayUntil.TryGetValue(partitionId, out var until) && result.Offset.Value < until)
        {
            return false; // a replay, not a decision
        }

        var topicPartition = new TopicPartition(_options.TransactionsTopic, result.Partition);
        consumer.Seek(new TopicPartitionOffset(topicPartition, result.Offset));
        consumer.Pause([topicPartition]);
        _held.Add(partitionId);
        return true;
    }

    /// <summary>True once caught up; the first time, the held partitions resume (called every loop, so a consumer whose partitions are all held still gets there).</summary>
    private bool ReleaseHeldIfCaughtUp(IConsumer<byte[], byte[]> consumer)
    {
        if (_caughtUp)
        {
            return true;
        }

        if (!_progress.CaughtUp.IsCompleted)
        {
            return false;
        }

        _caughtUp = true;
        var held = new List<TopicPartition>(_held.Count);
        foreach (var partition in _held)
        {
            if (_next.ContainsKey(partition))
            {
                held.Add(new TopicPartition(_options.TransactionsTopic, partition));
            }
        }

        _held.Clear();
        if (!_paused && held.Count > 0)
        {
            consumer.Resume(held);
        }

        return true;
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
            var resume = consumer.Assignment;
            if (_held.Count > 0)
            {
                resume = resume.FindAll(tp => !_held.Contains(tp.Partition.Value)); // still held until caught up
            }

            consumer.Resume(resume);
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
        _next[slot.Partition] = slot.Offset + 1;
        if (_replayUntil.Count > 0 && _replayUntil.TryGetValue(slot.Partition, out var until))
        {
            slot.FeaturesOnly = slot.Offset < until;
            if (slot.Offset + 1 >= until)
            {
                _replayUntil.Remove(slot.Partition);
                _progress.Done();
            }
        }

        if (!slot.FeaturesOnly)
        {
            slot.CreatedUnixMicros = CreatedMicros(result.Message);
            Recorders.Record(Stage.Transit, Clock.UnixMicrosNow() - slot.CreatedUnixMicros);
        }
        if (!_pending.TryGetValue(slot.Partition, out var queue))
        {
            queue = new Queue<InFlight>();
            _pending[slot.Partition] = queue;
        }

        queue.Enqueue(slot);
        _inFlight++;
        if (!slot.FeaturesOnly)
        {
            Counters.AddConsumed();
        }

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

        // The topic a slot's messages come from is this consumer's, for the slot's whole life: its dead letters say so.
        var created = new InFlight(_emitter.OnDelivered);
        created.DeadLetter.SourceTopic = _options.TransactionsTopic;
        return created;
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
                _storedNext[partition] = next;
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
        CommitDone(consumer);
        HandBack(partitions);
    }

    private void OnLost(List<TopicPartitionOffset> lost)
    {
        // Lost partitions cannot be committed: whatever was decided is recognised as duplicate on redelivery.
        Counters.AddPartitionsTakenAway(lost.Count);
        var partitions = new HashSet<int>();
        foreach (var tpo in lost)
        {
            LogPartitionLost(_logger, tpo.Partition.Value);
            partitions.Add(tpo.Partition.Value);
        }

        HandBack(partitions);
    }

    /// <summary>
    /// Takes over assigned partitions from the follower: each starts at the offset its features have reached, and what
    /// lies between there and the group's committed offset is replayed through the features only. Returning the start
    /// offsets from this handler is what makes the consumer fetch from there.
    /// </summary>
    private List<TopicPartitionOffset> OnAssigned(IConsumer<byte[], byte[]> consumer, List<TopicPartition> assigned)
    {
        if (_closing)
        {
            // Partitions given to a member that is leaving (another left at the same moment): they are revoked again
            // before anything is fetched. A takeover here (committed offsets, the follower, the readback) waits on a
            // group that no longer answers this member, and the stop then never ends (seen: killed 30 s later).
            // The incremental protocol wants the same partitions back; nothing is dispatched from them.
            LogAssignedWhileClosing(_logger, assigned.Count);
            var untouched = new List<TopicPartitionOffset>(assigned.Count);
            foreach (var tp in assigned)
            {
                untouched.Add(new TopicPartitionOffset(tp, Offset.Unset));
            }

            return untouched;
        }

        var committed = new Dictionary<int, long>();
        try
        {
            foreach (var tpo in consumer.Committed(assigned, TimeSpan.FromSeconds(30)))
            {
                committed[tpo.Partition.Value] = tpo.Offset.Value;
            }
        }
        catch (KafkaException ex)
        {
            // Unknown commits: deciding starts where the features are (nothing decided is decided again; a message
            // between the two is decided now, not replayed).
            LogConsumeError(_logger, "reading committed offsets on assignment: " + ex.Error.Reason);
        }

        var starts = new List<TopicPartitionOffset>(assigned.Count);
        foreach (var tp in assigned)
        {
            var partition = tp.Partition.Value;
            _progress.Add(); // before the follower lets go of it, so that catching up never reads zero in between
            var features = _follower.Release(partition);
            var decided = committed.TryGetValue(partition, out var c) ? c : Offset.Unset.Value;
            try
            {
                TakingOver?.Invoke(partition, decided);
            }
#pragma warning disable CA1031 // A store that cannot be read now: redeliveries are decided again (as before takeovers were recognised).
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogConsumeError(_logger, $"reading what partition {partition} decided past its commit: {ex.Message}");
            }

            if (decided >= 0 && (features < 0 || features < decided))
            {
                _replayUntil[partition] = decided;
            }
            else
            {
                _progress.Done();
                if (decided >= 0 && features > decided)
                {
                    // Never expected (the follower stops at the committed offset, a checkpoint is saved only once its
                    // offsets are committed). Deciding what was not decided wins over features folded in twice.
                    LogFeaturesAhead(_logger, partition, features, decided);
                    features = decided;
                }
            }

            _next[partition] = features;
            starts.Add(new TopicPartitionOffset(tp, new Offset(features)));
        }

        PublishDecided();
        return starts;
    }

    /// <summary>Partitions no longer decided here go back to the follower, from the next offset their features need.</summary>
    private void HandBack(HashSet<int> partitions)
    {
        foreach (var partition in partitions)
        {
            if (_replayUntil.Remove(partition))
            {
                _progress.Done();
            }

            _storedNext.Remove(partition);
            if (_next.Remove(partition, out var next))
            {
                _follower.Acquire(partition, next);
            }
        }

        PublishDecided();
    }

    private void PublishDecided()
    {
        var decided = new List<int>(_next.Keys);
        decided.Sort();
        _decidedNow = decided;
        LogDeciding(_logger, decided.Count == 0 ? "none" : string.Join(',', decided));
    }

    private bool CommitDone(IConsumer<byte[], byte[]> consumer)
    {
        try
        {
            consumer.Commit();
            return true;
        }
        catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_NoOffset)
        {
            return true; // nothing new since the last commit
        }
        catch (KafkaException ex)
        {
            LogConsumeError(_logger, "commit: " + ex.Error.Reason);
            return false;
        }
    }

    /// <summary>
    /// Takes a checkpoint when one is due and saves a taken one once its decided offsets are committed. Runs between
    /// polls, so no rebalance callback runs meanwhile and nothing is dispatched.
    /// </summary>
    private void CheckpointIfDue(IConsumer<byte[], byte[]> consumer)
    {
        if (_checkpointer is null)
        {
            return;
        }

        if (_awaitingCommit is { } captured)
        {
            foreach (var (partition, next) in captured.DecidedOffsets)
            {
                if (next >= 0 && _next.ContainsKey(partition) && (!_storedNext.TryGetValue(partition, out var stored) || stored < next))
                {
                    return; // still in flight
                }
            }

            _awaitingCommit = null;
            if (CommitDone(consumer))
            {
                _checkpointer.Save(captured);
            }

            return;
        }

        if (_checkpointer.IsDue)
        {
            _awaitingCommit = _checkpointer.Capture(new Dictionary<int, long>(_next));
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

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Stopping: {Count} partitions assigned while closing the consumer are left to the group without a takeover")]
    private static partial void LogAssignedWhileClosing(ILogger logger, int count);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Drain timed out with {Remaining} messages still in flight; they will be redelivered")]
    private static partial void LogDrainTimedOut(ILogger logger, int remaining);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning,
        Message = "Partition {Partition}: features are at offset {Features}, past the committed {Committed}; deciding starts at the committed offset, and what lies between is folded in twice")]
    private static partial void LogFeaturesAhead(ILogger logger, int partition, long features, long committed);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Stopping: what was dispatched is done and committed (with the last checkpoint); closing the consumer")]
    private static partial void LogClosing(ILogger logger);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Deciding partitions {Partitions}; following the others")]
    private static partial void LogDeciding(ILogger logger, string partitions);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Partition {Partition} lost")]
    private static partial void LogPartitionLost(ILogger logger, int partition);
}
