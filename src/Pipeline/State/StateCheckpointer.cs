using System.Buffers;
using System.Diagnostics;
using Confluent.Kafka;
using FraudStream.Core.Stages;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Hosting;
using FraudStream.Pipeline.Processing;
using FraudStream.Storage;
using FraudStream.Storage.Records;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.State;

/// <summary>
/// A checkpoint taken and waiting for its offsets to be committed before it is saved; <paramref name="State"/> completes
/// when its snapshot has been written out (off the barrier).
/// </summary>
internal sealed record CapturedCheckpoint(
    Task<byte[]> State,
    IReadOnlyDictionary<int, long> DecidedOffsets,
    IReadOnlyDictionary<int, long> TransactionsOffsets,
    IReadOnlyDictionary<int, long> LabelsOffsets,
    DateTime CapturedAt,
    double CaptureMs);

/// <summary>What the last checkpoints did, for status and the dashboard.</summary>
public sealed record CheckpointStatus(long Saved, long Failed, DateTime? LastSavedAt, long LastBytes, double LastCaptureMs,
    long RestoredSeq, double RestoreMs, long ReplayPartitions);

/// <summary>
/// Takes the feature-state checkpoints: aligned, as Flink's — the consumer stops dispatching, the follower and the
/// labels consumer park, a barrier goes down every worker's queue, and while every worker waits at it the whole state
/// is copied into a snapshot (<see cref="IFeatureStage.CaptureCheckpoint"/>) with the offsets it reflects; once they are
/// released, the snapshot is written out on a pool thread. The checkpoint is saved only once the decided partitions'
/// offsets are committed up to it (so a restore never starts past a decision that was not made durably). Called on the
/// consumer thread; writing and saving run in the background.
/// </summary>
internal sealed partial class StateCheckpointer : IDisposable
{
    private readonly DecisionServiceOptions _service;
    private IConsumer<byte[], byte[]>? _retentionGuard;
    private readonly CheckpointOptions _options;
    private readonly FraudStore _store;
    private readonly IFeatureStage _features;
    private readonly DecisionWorker[] _workers;
    private readonly PartitionFollower _follower;
    private readonly LabelConsumer _labels;
    private readonly string _writer;
    private readonly ILogger _logger;
    private long _lastCaptureAt = Environment.TickCount64;
    private bool _caughtUpCaptured;

    // Reused from one checkpoint to the next (the previous one is saved before the next is taken): no doubling garbage
    // on the large-object heap each time.
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 20);
    private Task _saving = Task.CompletedTask;
    private Task _writing = Task.CompletedTask; // the snapshot being written into _buffer
    private readonly Task _preparing; // the snapshot's fixed buffers, allocated before the first capture
    private long _saved;
    private long _failed;
    private DateTime? _lastSavedAt;
    private long _lastBytes;
    private double _lastCaptureMs;

    public StateCheckpointer(DecisionServiceOptions service, CheckpointOptions options, FraudStore store, IFeatureStage features, DecisionWorker[] workers,
        PartitionFollower follower, LabelConsumer labels, string writer, ILogger logger)
    {
        _service = service;
        _options = options;
        _store = store;
        _features = features;
        _workers = workers;
        _follower = follower;
        _labels = labels;
        _writer = writer;
        _logger = logger;
        _preparing = options.Enabled ? Task.Run(Prepare) : Task.CompletedTask;
    }

    private void Prepare()
    {
        try
        {
            _features.PrepareCheckpointCapture();
        }
#pragma warning disable CA1031 // Not fatal: the first capture then allocates what is missing itself.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogPrepareFailed(_logger, ex.Message);
        }
    }

    public long RestoredSeq { get; set; } = -1;

    public double RestoreMs { get; set; }

    public CheckpointStatus Status(long replayPartitions) => new(Interlocked.Read(ref _saved), Interlocked.Read(ref _failed),
        _lastSavedAt, Interlocked.Read(ref _lastBytes), _lastCaptureMs, RestoredSeq, RestoreMs, replayPartitions);

    /// <summary>Completes when the start's restore and replay have caught up (<see cref="ReplayProgress.CaughtUp"/>).</summary>
    public Task? CaughtUp { get; init; }

    /// <summary>
    /// A checkpoint is due: the previous one is saved, and the interval has passed or the start has just caught up. The
    /// one at catch-up means a crash before the first interval does not send the next start back to the same older
    /// checkpoint with a longer replay each time (under a kill -9 every 3-7 s, checkpoints 3 and 4 were each restored
    /// three times in a row, and two of ten instances were killed before they stored anything).
    /// </summary>
    public bool IsDue => _options.Enabled && _preparing.IsCompleted && _saving.IsCompleted && _writing.IsCompleted
        && (Environment.TickCount64 - _lastCaptureAt >= _options.IntervalSeconds * 1000L || (!_caughtUpCaptured && CaughtUp is { IsCompleted: true }));

    /// <summary>
    /// Takes a checkpoint now. <paramref name="decided"/>: the next offset of each partition this instance decides (all
    /// dispatched). Null when the workers did not reach the barrier in time (nothing is saved; the next one is tried later).
    /// </summary>
    public CapturedCheckpoint? Capture(IReadOnlyDictionary<int, long> decided)
    {
        _lastCaptureAt = Environment.TickCount64;
        _caughtUpCaptured |= CaughtUp is { IsCompleted: true };
        var started = Stopwatch.GetTimestamp();
        var followed = _follower.Park();
        var followerParked = Stopwatch.GetTimestamp();
        var labels = _labels.Park();
        var labelsParked = Stopwatch.GetTimestamp();
        try
        {
            var barrier = new CheckpointBarrier(_workers.Length);
            foreach (var worker in _workers)
            {
                worker.Enqueue(new InFlight(static (_, _) => { }) { Barrier = barrier });
            }

            if (!barrier.WaitAllArrived(TimeSpan.FromSeconds(30)))
            {
                barrier.Release();
                Interlocked.Increment(ref _failed);
                LogBarrierTimedOut(_logger);
                return null;
            }

            var arrived = Stopwatch.GetTimestamp();
            IStateSnapshot snapshot;
            try
            {
                var capture = _features.BeginCheckpointCapture();
                try
                {
                    barrier.CopyInParallel(capture);
                    snapshot = capture.Complete();
                }
                catch
                {
                    capture.Dispose();
                    throw;
                }
            }
            finally
            {
                barrier.Release();
            }

            var released = Stopwatch.GetTimestamp();
            var pause = new CapturePause(Stopwatch.GetElapsedTime(started, released).TotalMilliseconds,
                Stopwatch.GetElapsedTime(started, followerParked).TotalMilliseconds, Stopwatch.GetElapsedTime(followerParked, labelsParked).TotalMilliseconds,
                Stopwatch.GetElapsedTime(labelsParked, arrived).TotalMilliseconds, Stopwatch.GetElapsedTime(arrived, released).TotalMilliseconds, barrier.Copiers);
            _lastCaptureMs = pause.PausedMs;
            var state = Task.Run(() => WriteSnapshot(snapshot, pause));
            _writing = state;
            return new CapturedCheckpoint(state, decided, AllOffsets(followed, decided), labels, DateTime.UtcNow, pause.PausedMs);
        }
        finally
        {
            _labels.Resume();
            _follower.Resume();
        }
    }

    /// <summary>How long dispatch was paused, and where it went.</summary>
    private readonly record struct CapturePause(double PausedMs, double FollowerMs, double LabelsMs, double BarrierMs, double CopyMs, int Copiers);

    /// <summary>On a pool thread, while the workers run on: the snapshot's bytes, through the reused buffer.</summary>
    private byte[] WriteSnapshot(IStateSnapshot snapshot, CapturePause pause)
    {
        var started = Stopwatch.GetTimestamp();
        using (snapshot)
        {
            _buffer.ResetWrittenCount();
            snapshot.WriteTo(_buffer);
        }

        var state = _buffer.WrittenSpan.ToArray();
        LogCaptured(_logger, state.Length, _features.CardCount, pause.PausedMs, pause.FollowerMs, pause.LabelsMs, pause.BarrierMs, pause.CopyMs, pause.Copiers,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return state;
    }

    /// <summary>
    /// At a graceful stop, after the drain (the workers and the follower have stopped, everything dispatched is
    /// committed): one last checkpoint, saved before the process ends, so a deploy replays nothing.
    /// </summary>
    public void SaveAtStop(IReadOnlyDictionary<int, long> decided)
    {
        if (!_options.Enabled)
        {
            return;
        }

        // A snapshot still being written uses the buffer (and holds labels back); it will not be saved, the one below will.
        _writing.ContinueWith(static _ => { }, TaskScheduler.Default).GetAwaiter().GetResult();
        var started = Stopwatch.GetTimestamp();
        var labels = _labels.Park();
        try
        {
            WriteState();
        }
        finally
        {
            _labels.Resume();
        }

        SaveNow(new CapturedCheckpoint(Task.FromResult(_buffer.WrittenSpan.ToArray()), decided, AllOffsets(_follower.Positions, decided), labels,
            DateTime.UtcNow, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
    }

    /// <summary>The whole feature state into the reused buffer; only while nothing folds into it.</summary>
    private void WriteState()
    {
        _buffer.ResetWrittenCount();
        _features.WriteCheckpoint(_buffer);
    }

    /// <summary>Every partition's next offset: the followed ones', then the decided ones' over them.</summary>
    private static Dictionary<int, long> AllOffsets(IReadOnlyDictionary<int, long> followed, IReadOnlyDictionary<int, long> decided)
    {
        var offsets = new Dictionary<int, long>(followed);
        foreach (var (partition, next) in decided)
        {
            offsets[partition] = next;
        }

        return offsets;
    }

    /// <summary>Saves a captured checkpoint in the background (its decided offsets are committed).</summary>
    public void Save(CapturedCheckpoint checkpoint) => _saving = Task.Run(() => SaveAsync(checkpoint));

    /// <summary>Saves and waits (at stop).</summary>
    public void SaveNow(CapturedCheckpoint checkpoint)
    {
        _saving.GetAwaiter().GetResult();
        SaveAsync(checkpoint).GetAwaiter().GetResult();
    }

    private async Task SaveAsync(CapturedCheckpoint checkpoint)
    {
        byte[] state = [];
        try
        {
            state = await checkpoint.State.ConfigureAwait(false);
            await _store.SaveFeatureCheckpointAsync(new FeatureCheckpointRecord
            {
                CreatedAt = checkpoint.CapturedAt,
                Writer = _writer,
                SchemaVersion = _features.SchemaVersion,
                TransactionsOffsets = PartitionOffsets.Format(checkpoint.TransactionsOffsets),
                LabelsOffsets = PartitionOffsets.Format(checkpoint.LabelsOffsets),
                State = state,
            }, _options.Keep).ConfigureAwait(false);
            Interlocked.Increment(ref _saved);
            Interlocked.Exchange(ref _lastBytes, state.Length);
            _lastSavedAt = checkpoint.CapturedAt;
            if (_options.GuardRetention)
            {
                GuardRetention(checkpoint.TransactionsOffsets, checkpoint.LabelsOffsets);
            }
        }
#pragma warning disable CA1031 // A failed save keeps the previous checkpoint; the next one is tried at the next interval.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _failed);
            LogSaveFailed(_logger, state.Length, ex.Message);
        }
    }

    /// <summary>The consumer group under which checkpoints' offsets are committed: <c>GROUP-checkpoints</c>.</summary>
    public static string RetentionGroup(string groupId) => groupId + "-checkpoints";

    /// <summary>
    /// Commits the saved checkpoint's offsets under <see cref="RetentionGroup"/>: what a restore must replay is then
    /// still needed by a group, so a broker that drops what every group has consumed (the embedded one does) keeps it,
    /// and operators see the replay a restart would take as that group's lag.
    /// </summary>
    private void GuardRetention(IReadOnlyDictionary<int, long> transactions, IReadOnlyDictionary<int, long> labels)
    {
        // Both logs a restore replays: the transactions after the checkpoint, and the labels after its label offsets.
        var commit = new List<TopicPartitionOffset>(transactions.Count + labels.Count);
        AddOffsets(commit, _service.TransactionsTopic, transactions);
        AddOffsets(commit, _service.LabelsTopic, labels);

        if (commit.Count == 0)
        {
            return;
        }

        try
        {
            if (_retentionGuard is null)
            {
                var config = KafkaClients.ConsumerConfig(_service.Bootstrap, RetentionGroup(_service.GroupId), _service.ClientId + "-checkpoints");
                config.GroupProtocol = GroupProtocol.Classic;
                config.EnableAutoCommit = false;
                _retentionGuard = new ConsumerBuilder<byte[], byte[]>(config).Build();
            }

            _retentionGuard.Commit(commit);
        }
        catch (KafkaException ex)
        {
            LogGuardFailed(_logger, ex.Error.Reason);
        }
    }

    private static void AddOffsets(List<TopicPartitionOffset> commit, string topic, IReadOnlyDictionary<int, long> offsets)
    {
        foreach (var (partition, offset) in offsets)
        {
            if (offset >= 0)
            {
                commit.Add(new TopicPartitionOffset(topic, partition, offset));
            }
        }
    }

    public void Dispose()
    {
        _preparing.GetAwaiter().GetResult();
        _writing.ContinueWith(static _ => { }, TaskScheduler.Default).GetAwaiter().GetResult();
        _saving.GetAwaiter().GetResult();
        _retentionGuard?.Close();
        _retentionGuard?.Dispose();
    }

    [LoggerMessage(EventId = 1704, Level = LogLevel.Information, Message = "Checkpoint taken: {Bytes} bytes, {Cards} cards; dispatch paused {PausedMs:F1} ms: follower parked in {FollowerMs:F1}, labels in {LabelsMs:F1}, workers at the barrier in {BarrierMs:F1}, state copied in {CopyMs:F1} by {Copiers} threads; then written in {WriteMs:F1} ms while the workers ran")]
    private static partial void LogCaptured(ILogger logger, int bytes, int cards, double pausedMs, double followerMs, double labelsMs, double barrierMs, double copyMs, int copiers, double writeMs);

    [LoggerMessage(EventId = 1705, Level = LogLevel.Warning, Message = "Allocating the checkpoint snapshot's buffers ahead failed; the first capture allocates them: {Reason}")]
    private static partial void LogPrepareFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1703, Level = LogLevel.Warning, Message = "Committing the checkpoint's offsets (retention guard) failed: {Reason}")]
    private static partial void LogGuardFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Warning, Message = "Checkpoint skipped: the workers did not reach the barrier within 30 s")]
    private static partial void LogBarrierTimedOut(ILogger logger);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Error, Message = "Saving a checkpoint of {Bytes} bytes failed; the previous one stays the latest: {Reason}")]
    private static partial void LogSaveFailed(ILogger logger, int bytes, string reason);
}
