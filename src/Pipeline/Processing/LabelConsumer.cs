using Confluent.Kafka;
using FraudStream.Core.Contracts;
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
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private long _labels;
    private long _bad;

    public LabelConsumer(DecisionServiceOptions options, FraudStore store, IFeatureStage features, ILogger logger)
    {
        _options = options;
        _store = store;
        _features = features;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "fs-labels" };
    }

    public long Labels => Volatile.Read(ref _labels);

    public long BadLabels => Volatile.Read(ref _bad);

    public Task Stopped => _stopped.Task;

    public void Start() => _thread.Start();

    public void RequestStop() => _stopping = true;

    private void Run()
    {
        try
        {
            var config = KafkaClients.ConsumerConfig(_options.Bootstrap, _options.GroupId + "-labels", _options.ClientId + "-labels",
                fetchWaitMaxMs: 100); // labels are not latency-critical: fewer empty fetches, less broker CPU
            using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
                .SetErrorHandler((_, e) => LogKafkaError(_logger, e.Reason))
                .Build();
            consumer.Subscribe(_options.LabelsTopic);
            var batch = new List<LabelRecord>();
            var bad = new List<DeadLetterRecord>();
            var offsets = new Dictionary<int, TopicPartitionOffset>();
            OutcomeWriter? writer = null;
            try
            {
                while (!_stopping)
                {
                    var result = consumer.Consume(50);
                    if (result?.Message is not null)
                    {
                        if (LabelJson.TryParse(result.Message.Value ?? [], out var label, out var error))
                        {
                            batch.Add(new LabelRecord { Id = label!.Id, Fraud = label.Fraud, ReportedAt = label.ReportedAt, Source = "stream" });
                            _features.ApplyLabel(label);
                        }
                        else
                        {
                            bad.Add(new DeadLetterRecord
                            {
                                SourceTopic = result.Topic, SourcePartition = result.Partition.Value, SourceOffset = result.Offset.Value,
                                Reason = "invalid_label", Detail = error ?? "invalid label", Payload = result.Message.Value ?? [],
                                ReceivedAt = DateTime.UtcNow,
                            });
                        }

                        offsets[result.Partition.Value] = new TopicPartitionOffset(result.TopicPartition, result.Offset + 1);
                        if (batch.Count + bad.Count < 1000)
                        {
                            continue;
                        }
                    }

                    if (offsets.Count > 0)
                    {
                        Flush(ref writer, consumer, batch, bad, offsets);
                    }
                }

                Flush(ref writer, consumer, batch, bad, offsets);
            }
            finally
            {
                writer?.Dispose();
            }

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

    private void Flush(ref OutcomeWriter? writer, IConsumer<byte[], byte[]> consumer, List<LabelRecord> batch, List<DeadLetterRecord> bad,
        Dictionary<int, TopicPartitionOffset> offsets)
    {
        if (batch.Count > 0 || bad.Count > 0)
        {
            // This thread's own writer: one connection and prepared statements, labels and bad labels in one transaction.
            // A store failure (an outage, a busy database) is retried with backoff on a fresh connection, keeping the
            // batch and its offsets: the labels were already applied to the features, so they must not be read again
            // while this process runs. Only a stop gives up; the offsets were not stored, so the next run reads them.
            OutcomeWriterRetry.Write(_store, ref writer, (batch, bad),
                static (w, pending) => w.WriteLabels(pending.batch, pending.bad),
                (ex, delayMs) => LogStoreRetry(_logger, batch.Count + bad.Count, delayMs, ex.Message),
                giveUp: () => _stopping);

            Volatile.Write(ref _labels, _labels + batch.Count);
            Volatile.Write(ref _bad, _bad + bad.Count);
        }

        foreach (var tpo in offsets.Values)
        {
            consumer.StoreOffset(tpo);
        }

        batch.Clear();
        bad.Clear();
        offsets.Clear();
    }

    [LoggerMessage(EventId = 1303, Level = LogLevel.Error, Message = "Storing {Count} labels failed; retrying in {DelayMs} ms: {Reason}")]
    private static partial void LogStoreRetry(ILogger logger, int count, int delayMs, string reason);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Labels consumer: {Reason}")]
    private static partial void LogKafkaError(ILogger logger, string reason);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Critical, Message = "The labels loop failed")]
    private static partial void LogLabelsFailed(ILogger logger, Exception ex);

}
