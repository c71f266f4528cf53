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
/// Consumes ground truth from <c>labels</c>: stores it (upsert by id) and feeds the merchant graph.
/// Offsets are stored only after the batch is in the store; bad labels are dead-lettered in the store.
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
    private volatile bool _stopping;
    private long _labels;

    public LabelConsumer(DecisionServiceOptions options, FraudStore store, IFeatureStage features, ILogger logger)
    {
        _options = options;
        _store = store;
        _features = features;
        _logger = logger;
        _reportedAt = new EventTimeWindow(options);
        _tokens = new PanTokenizer(options.TokenKey);
        _thread = new Thread(Run) { IsBackground = true, Name = "fs-labels" };
    }

    public long Labels => Volatile.Read(ref _labels);

    public Task Stopped => _stopped.Task;

    public void Start() => _thread.Start();

    public void RequestStop() => _stopping = true;

    private void Run()
    {
        try
        {
            using var consumer = Subscribe();
            ConsumeUntilStopped(consumer);
            try
            {
                consumer.Commit();
            }
            catch (KafkaException)
            {
                // Nothing stored to commit.
            }

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

    private IConsumer<byte[], byte[]> Subscribe()
    {
        var config = KafkaClients.ConsumerConfig(_options.Bootstrap, _options.GroupId + "-labels", _options.ClientId + "-labels",
            fetchWaitMaxMs: 100); // labels are not latency-critical: fewer empty fetches, less broker CPU
        var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) => LogKafkaError(_logger, e.Reason))
            .Build();
        try
        {
            consumer.Subscribe(_options.LabelsTopic);
            return consumer;
        }
        catch
        {
            consumer.Dispose();
            throw;
        }
    }

    /// <summary>Reads labels until asked to stop; a batch is stored when it is full or the topic goes quiet, and once more at the end.</summary>
    private void ConsumeUntilStopped(IConsumer<byte[], byte[]> consumer)
    {
        var pending = new PendingLabels();
        OutcomeWriter? writer = null;
        try
        {
            while (!_stopping)
            {
                var result = consumer.Consume(50);
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
                    Flush(ref writer, consumer, pending);
                }
            }

            Flush(ref writer, consumer, pending);
        }
        finally
        {
            writer?.Dispose();
        }
    }

    /// <summary>
    /// A readable label joins the batch and the merchant graph at once; an unreadable one becomes a dead letter, and so
    /// does one reported outside the event-time window (a far-future report would beat every later verdict).
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
            _features.ApplyLabel(label);
        }

        pending.Offsets[result.Partition.Value] = new TopicPartitionOffset(result.TopicPartition, result.Offset + 1);
    }

    /// <summary>A bad label as stored: card numbers in its bytes and detail masked (in place: the consumed bytes are not read again).</summary>
    private static DeadLetterRecord DeadLetter(ConsumeResult<byte[], byte[]> result, byte[] payload, string reason, string detail)
    {
        Pans.Mask(payload.AsSpan());
        return new()
        {
            SourceTopic = result.Topic, SourcePartition = result.Partition.Value, SourceOffset = result.Offset.Value,
            Reason = reason, Detail = Pans.Mask(detail), Payload = payload, ReceivedAt = DateTime.UtcNow,
        };
    }

    private void Flush(ref OutcomeWriter? writer, IConsumer<byte[], byte[]> consumer, PendingLabels pending)
    {
        if (pending.Count > 0)
        {
            // This thread's own writer: one connection and prepared statements, labels and bad labels in one transaction.
            // A store failure (an outage, a busy database) is retried with backoff on a fresh connection, keeping the
            // batch and its offsets: the labels were already applied to the features, so they must not be read again
            // while this process runs. Only a stop gives up; the offsets were not stored, so the next run reads them.
            OutcomeWriterRetry.Write(_store, ref writer, pending,
                static (w, batch) => w.WriteLabels(batch.Labels, batch.Bad),
                (ex, delayMs) => LogStoreRetry(_logger, pending.Count, delayMs, ex.Message),
                giveUp: () => _stopping);

            Volatile.Write(ref _labels, _labels + pending.Labels.Count);
        }

        foreach (var tpo in pending.Offsets.Values)
        {
            consumer.StoreOffset(tpo);
        }

        pending.Clear();
    }

    /// <summary>Labels and bad labels read since the last store, with the offset to store per partition once they are stored.</summary>
    private sealed class PendingLabels
    {
        public const int FlushAt = 1000;

        public List<LabelRecord> Labels { get; } = [];

        public List<DeadLetterRecord> Bad { get; } = [];

        public Dictionary<int, TopicPartitionOffset> Offsets { get; } = [];

        public int Count => Labels.Count + Bad.Count;

        public void Clear()
        {
            Labels.Clear();
            Bad.Clear();
            Offsets.Clear();
        }
    }

    [LoggerMessage(EventId = 1303, Level = LogLevel.Error, Message = "Storing {Count} labels failed; retrying in {DelayMs} ms: {Reason}")]
    private static partial void LogStoreRetry(ILogger logger, int count, int delayMs, string reason);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Labels consumer: {Reason}")]
    private static partial void LogKafkaError(ILogger logger, string reason);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Critical, Message = "The labels loop failed")]
    private static partial void LogLabelsFailed(ILogger logger, Exception ex);
}
