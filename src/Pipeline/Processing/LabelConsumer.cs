using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Core.Identifiers;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Hosting;
using FraudStream.Core.Stages;
using FraudStream.Storage;
using FraudStream.Storage.Records;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// Consumes ground truth from <c>labels</c>: stores it (upsert by id) and feeds the merchant graph. Every instance
/// reads every partition (assigned, not in a group), so every instance's graph has every label; where it starts is
/// the checkpoint's labels offsets (or the beginning), so a label is applied to the restored state exactly once. It
/// starts once the features have caught up after a restore (a label before its transaction would find nothing).
/// Bad labels are dead-lettered in the store.
/// </summary>
internal sealed partial class LabelConsumer
{
    private readonly DecisionServiceOptions _options;
    private readonly FraudStore _store;
    private readonly IFeatureStage _features;
    private readonly ILogger _logger;
    private readonly EventTimeWindow _reportedAt;
    private readonly PanTokenizer _tokens;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IReadOnlyDictionary<int, long> _startOffsets;
    private readonly Task _caughtUp;

    // Held while a label is applied and by a checkpoint (Park to Resume, on the checkpointing thread).
    private readonly Lock _applyGate = new();
    private readonly Dictionary<int, long> _applied = [];
    private volatile bool _stopping;
    private long _labels;

    public LabelConsumer(DecisionServiceOptions options, FraudStore store, IFeatureStage features,
        IReadOnlyDictionary<int, long> startOffsets, Task caughtUp, ILogger logger)
    {
        _options = options;
        _store = store;
        _features = features;
        _startOffsets = startOffsets;
        _caughtUp = caughtUp;
        _logger = logger;
        _reportedAt = new EventTimeWindow(options);
        _tokens = new PanTokenizer(options.TokenKey);
        _thread = new Thread(Run) { IsBackground = true, Name = "fs-labels" };
    }

    /// <summary>Stops label application (until <see cref="Resume"/>, on the same thread) and returns the next offset per partition.</summary>
    public IReadOnlyDictionary<int, long> Park()
    {
        _applyGate.Enter();
        return new Dictionary<int, long>(_applied);
    }

    public void Resume() => _applyGate.Exit();

    public long Labels => Volatile.Read(ref _labels);

    public Task Stopped => _stopped.Task;

    public void Start() => _thread.Start();

    public void RequestStop() => _stopping = true;

    private void Run()
    {
        try
        {
            if (!WaitForFeatures())
            {
                _stopped.TrySetResult();
                return;
            }

            using var consumer = Assign();
            using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
            ConsumeUntilStopped(consumer, admin);
            consumer.Close();
            _stopped.TrySetResult();
        }
#pragma warning disable CA1031 // Reported to the hosted service.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogLabelsFailed(_logger, ex);
            _stopped.TrySetException(ex);
        }
    }

    /// <summary>Waits until the features are caught up (or a stop); after 10 minutes it goes on with a warning.</summary>
    private bool WaitForFeatures()
    {
        var deadline = Environment.TickCount64 + 600_000;
        while (!_caughtUp.IsCompleted)
        {
            if (_stopping)
            {
                return false;
            }

            if (Environment.TickCount64 > deadline)
            {
                LogNotCaughtUp(_logger);
                break;
            }

            _caughtUp.Wait(100);
        }

        return true;
    }

    private IConsumer<byte[], byte[]> Assign()
    {
        var config = KafkaClients.ConsumerConfig(_options.Bootstrap, _options.GroupId + "-labels", _options.ClientId + "-labels",
            fetchWaitMaxMs: 100); // labels are not latency-critical: fewer empty fetches, less broker CPU
        config.GroupProtocol = GroupProtocol.Classic;
        // Never a group member: where to start is the checkpoint's. What it has stored is committed all the same, as
        // progress: a broker that trims what every committing group has read (the embedded one) then drops the labels
        // read, instead of keeping its own cap's worth that every fetch walks (docs/LATENCY.md). What a restore must
        // still replay is kept by the retention guard's commit of the checkpoint's label offsets.
        config.EnableAutoCommit = true;
        config.AutoCommitIntervalMs = 1000;
        var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) => LogKafkaError(_logger, e.Reason))
            .Build();
        try
        {
            IReadOnlyList<int> partitions = [];
            while (!_stopping && (partitions = TopicPartitions.Of(_options.Bootstrap, _options.LabelsTopic)).Count == 0)
            {
                Thread.Sleep(500);
            }

            var assignment = new List<TopicPartitionOffset>(partitions.Count);
            lock (_applyGate)
            {
                foreach (var partition in partitions)
                {
                    assignment.Add(StartReading(partition));
                }
            }

            consumer.Assign(assignment);
            return consumer;
        }
        catch
        {
            consumer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Where a labels partition is read from — the restored checkpoint's offset, else its beginning — recorded as applied
    /// up to there. Under <c>_applyGate</c>.
    /// </summary>
    private TopicPartitionOffset StartReading(int partition)
    {
        var start = _startOffsets.TryGetValue(partition, out var offset) ? offset : Offset.Beginning.Value;
        _applied[partition] = start;
        return new TopicPartitionOffset(_options.LabelsTopic, partition, start);
    }

    /// <summary>
    /// Partitions added to the labels topic while running (every instance reads all of them): assigned from their
    /// beginning, as the transactions' follower does with its topic; without this their labels would never arrive.
    /// </summary>
    private void AssignAddedPartitions(IConsumer<byte[], byte[]> consumer, IAdminClient admin)
    {
        var listed = TopicPartitions.Of(admin, _options.LabelsTopic);
        List<TopicPartitionOffset>? added = null;
        lock (_applyGate)
        {
            foreach (var partition in listed)
            {
                if (!_applied.ContainsKey(partition))
                {
                    (added ??= []).Add(StartReading(partition));
                }
            }
        }

        if (added is not null)
        {
            consumer.IncrementalAssign(added);
            LogPartitionsAdded(_logger, _options.LabelsTopic, string.Join(',', added.Select(a => a.Partition.Value)), listed.Count);
        }
    }

    /// <summary>Reads labels until asked to stop; a batch is stored when it is full or the topic goes quiet, and once more at the end.</summary>
    private void ConsumeUntilStopped(IConsumer<byte[], byte[]> consumer, IAdminClient admin)
    {
        var pending = new PendingLabels();
        OutcomeWriter? writer = null;
        var lastDiscovery = Environment.TickCount64;
        try
        {
            while (!_stopping)
            {
                if (Environment.TickCount64 - lastDiscovery >= PartitionFollower.PartitionDiscoveryMs)
                {
                    lastDiscovery = Environment.TickCount64;
                    AssignAddedPartitions(consumer, admin);
                }

                ConsumeResult<byte[], byte[]>? result;
                try
                {
                    result = consumer.Consume(50);
                }
                catch (ConsumeException ex)
                {
                    // A bad fetch or a broker error is not the end of the labels: log it and go on reading.
                    LogKafkaError(_logger, ex.Error.Reason);
                    continue;
                }

                if (result?.Message is not null)
                {
                    Add(result, pending);
                    if (pending.Count < PendingLabels.FlushAt)
                    {
                        continue;
                    }
                }

                if (pending.Offsets.Count > 0)
                {
                    Flush(ref writer, pending, consumer);
                }
            }

            Flush(ref writer, pending, consumer);
        }
        finally
        {
            writer?.Dispose();
        }
    }

    /// <summary>
    /// A readable label joins the batch (the features get it once it is stored); an unreadable one becomes a dead
    /// letter, and so does one reported outside the event-time window (a far-future report would beat every later verdict).
    /// </summary>
    private void Add(ConsumeResult<byte[], byte[]> result, PendingLabels pending)
    {
        var payload = result.Message.Value ?? [];
        if (!LabelJson.TryParse(payload, out var label, out var error))
        {
            pending.Bad.Add(DeadLetter(result, payload, "invalid_label", error ?? "invalid label"));
        }
        else if (!_reportedAt.Admits(label!.ReportedAt, DateTime.UtcNow, "reported_at", out var outOfRange))
        {
            pending.Bad.Add(DeadLetter(result, payload, outOfRange.Reason.ToCode(), outOfRange.Detail));
        }
        else
        {
            // The transaction's id was protected as the label's must be, so the two still match.
            label = label with { Id = _tokens.Protect(label.Id) };
            pending.Labels.Add(new LabelRecord { Id = label.Id, Fraud = label.Fraud, ReportedAt = label.ReportedAt, Source = "stream" });
            pending.Parsed.Add(label);
            pending.Positions.Add((result.Partition.Value, result.Offset.Value));
        }

        pending.Offsets[result.Partition.Value] = result.Offset.Value + 1;
    }

    /// <summary>A label the store refused, as the dead letter stored instead: the label as the contract writes it (its id already a token).</summary>
    private DeadLetterRecord RefusedLabel(PendingLabels batch, int index, string refusal)
    {
        var label = batch.Labels[index];
        var (partition, offset) = batch.Positions[index];
        batch.Refused.Add(index);
        var payload = System.Text.Encoding.UTF8.GetBytes(
            $"{{\"id\":{System.Text.Json.JsonSerializer.Serialize(label.Id)},\"fraud\":{(label.Fraud ? "true" : "false")},\"reported_at\":\"{label.ReportedAt:O}\"}}");
        return new()
        {
            SourceTopic = _options.LabelsTopic, SourcePartition = partition, SourceOffset = offset, Reason = DeadLetterReason.StoreRefused.ToCode(),
            Detail = Pans.Mask(refusal), Payload = payload, ReceivedAt = DateTime.UtcNow,
        };
    }

    /// <summary>A bad label as stored: card numbers in its bytes and detail masked (in place: the consumed bytes are not read again).</summary>
    private static DeadLetterRecord DeadLetter(ConsumeResult<byte[], byte[]> result, byte[] payload, string reason, string detail)
    {
        Pans.Mask(payload.AsSpan());
        Pans.MaskCutNumber(payload.AsSpan()); // a label cut inside a card number
        return new()
        {
            SourceTopic = result.Topic, SourcePartition = result.Partition.Value, SourceOffset = result.Offset.Value,
            Reason = reason, Detail = Pans.Mask(detail), Payload = payload, ReceivedAt = DateTime.UtcNow,
        };
    }

    /// <summary>
    /// Stores the batch, then applies its labels to the features and moves the positions a checkpoint records: a label
    /// in a checkpointed state is always in the store too.
    /// </summary>
    private void Flush(ref OutcomeWriter? writer, PendingLabels pending, IConsumer<byte[], byte[]> consumer)
    {
        if (pending.Count > 0)
        {
            // This thread's own writer: one connection and prepared statements, labels and bad labels in one transaction.
            // A store failure (an outage, a busy database) is retried with backoff on a fresh connection, keeping the
            // batch. Only a stop gives up; the positions did not move, so the next run reads them again.
            OutcomeWriterRetry.Write(_store, ref writer, pending,
                (w, batch) => w.WriteLabels(batch.Labels, batch.Bad, (index, refusal) => RefusedLabel(batch, index, refusal), (letter, refusal) => LogDeadLetterRefused(_logger, letter.SourceOffset, refusal)),
                (ex, delayMs) => LogStoreRetry(_logger, pending.Count, delayMs, ex.Message),
                giveUp: () => _stopping);

            lock (_applyGate)
            {
                for (var i = 0; i < pending.Parsed.Count; i++)
                {
                    // A label the store refused is a dead letter: not in the store, so not in the features either.
                    if (!pending.Refused.Contains(i))
                    {
                        _features.ApplyLabel(pending.Parsed[i]);
                    }
                }

                foreach (var (partition, next) in pending.Offsets)
                {
                    _applied[partition] = next;
                }
            }

            StoreProgress(consumer, pending.Offsets);

            Volatile.Write(ref _labels, _labels + pending.Labels.Count - pending.Refused.Count);
        }

        pending.Clear();
    }

    /// <summary>Stored and applied: the next offsets are committed with the client's next auto-commit.</summary>
    private void StoreProgress(IConsumer<byte[], byte[]> consumer, Dictionary<int, long> offsets)
    {
        foreach (var (partition, next) in offsets)
        {
            try
            {
                consumer.StoreOffset(new TopicPartitionOffset(_options.LabelsTopic, partition, next));
            }
            catch (KafkaException ex)
            {
                // Progress only (nothing starts from it): a partition no longer assigned is not an error of the labels.
                LogKafkaError(_logger, ex.Error.Reason);
            }
        }
    }

    /// <summary>Labels and bad labels read since the last store, with the next offset per partition once they are stored.</summary>
    private sealed class PendingLabels
    {
        public const int FlushAt = 1000;

        public List<LabelRecord> Labels { get; } = [];

        public List<Label> Parsed { get; } = [];

        public List<DeadLetterRecord> Bad { get; } = [];

        /// <summary>Where each of <see cref="Labels"/> was read: the position of its dead letter if the store refuses it.</summary>
        public List<(int Partition, long Offset)> Positions { get; } = [];

        /// <summary>Indexes of <see cref="Labels"/> the store refused (stored as dead letters instead).</summary>
        public HashSet<int> Refused { get; } = [];

        public Dictionary<int, long> Offsets { get; } = [];

        public int Count => Labels.Count + Bad.Count;

        public void Clear()
        {
            Labels.Clear();
            Parsed.Clear();
            Positions.Clear();
            Refused.Clear();
            Bad.Clear();
            Offsets.Clear();
        }
    }

    [LoggerMessage(EventId = 1303, Level = LogLevel.Error, Message = "Storing {Count} labels failed; retrying in {DelayMs} ms: {Reason}")]
    private static partial void LogStoreRetry(ILogger logger, int count, int delayMs, string reason);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Labels consumer: {Reason}")]
    private static partial void LogKafkaError(ILogger logger, string reason);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, Message = "Labels start before the features caught up (10 minutes passed): labels of transactions not yet folded in are unmatched")]
    private static partial void LogNotCaughtUp(ILogger logger);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Critical, Message = "The labels loop failed")]
    private static partial void LogLabelsFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Information, Message = "{Topic} has new partitions {Partitions} ({Count} in all): reading their labels from their beginning")]
    private static partial void LogPartitionsAdded(ILogger logger, string topic, string partitions, int count);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Error, Message = "A label's dead letter (offset {Offset}) was refused by the store too and is not stored: {Refusal}")]
    private static partial void LogDeadLetterRefused(ILogger logger, long offset, string refusal);
}
