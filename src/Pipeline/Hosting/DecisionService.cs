using Confluent.Kafka;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Latency;
using FraudStream.Pipeline.Processing;
using FraudStream.Core.Stages;
using FraudStream.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FraudStream.Pipeline.Hosting;

/// <summary>
/// The decision service as a hosted service: consume <c>transactions</c>, decide, produce to
/// <c>decisions</c>, persist, commit. Stopping drains what is in flight, commits and closes.
/// </summary>
public sealed partial class DecisionService : BackgroundService
{
    private readonly DecisionServiceOptions _options;
    private readonly FraudStore _store;
    private readonly IFeatureStage _features;
    private readonly IScoringStage _scoring;
    private readonly IRulesStage _rules;
    private readonly ILogger<DecisionService> _logger;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TransactionConsumer? _consumer;
    private LabelConsumer? _labels;
    private volatile IProducer<byte[], byte[]>? _producer;

    public DecisionService(IOptions<DecisionServiceOptions> options, FraudStore store, IFeatureStage features, IScoringStage scoring,
        IRulesStage rules, PipelineTelemetry telemetry, ILogger<DecisionService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _store = store;
        _features = features;
        _scoring = scoring;
        _rules = rules;
        Telemetry = telemetry;
        _logger = logger;
    }

    public PipelineTelemetry Telemetry { get; }

    /// <summary>Completes when the store is migrated and the consumer has started.</summary>
    public Task Ready => _ready.Task;

    public int InFlight => _consumer?.InFlightCount ?? 0;

    /// <summary>The consumer's own counters (back-pressure pauses, partitions taken away).</summary>
    public PipelineCounters? ConsumerCounters => _consumer?.Counters;

    public long LabelsReceived => _labels?.Labels ?? 0;

    public string ScorerDevice => _scoring.Current.Device;

    public string ModelVersion => _scoring.Current.Version;

    public string RulesetVersion => _rules.RulesetVersion;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seed = await PrepareStoreAsync(stoppingToken);
        LogStarting(_logger, _options.Bootstrap, _options.Workers, seed.Count, _scoring.Current.Device, _scoring.Current.Version, _rules.RulesetVersion);
        using var producer = BuildProducer();
        _producer = producer;
        var outcomes = new OutcomeStatistics();
        var storeWriter = new StoreWriter(_store, _options.StoreBatchSize, outcomes, _logger);
        using var emitter = new DecisionEmitter(producer, Topics(), storeWriter, _logger);
        var workers = BuildWorkers(emitter, seed);
        var consumer = new TransactionConsumer(_options, workers, emitter, _logger) { DrainPipeline = () => Drain(workers, producer) };
        var labels = new LabelConsumer(_options, _store, _features, _logger);
        var inputs = ReportingInputs.Of(consumer, workers, emitter, storeWriter, outcomes, _scoring, _rules);
        var reporter = new LatencyReporter(Telemetry, inputs, _store, _logger);

        using var reporting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        StartThreads(storeWriter, workers, consumer, labels);
        var reporterTask = reporter.RunAsync(reporting.Token);
        _ready.TrySetResult();

        await RunUntilStoppedAsync(consumer, labels, stoppingToken);
        _producer = null;
        await storeWriter.CompleteAsync();
        await reporting.CancelAsync();
        await reporterTask;
        await reporter.TickAsync();
        LogStopped(_logger, inputs.Totals().Decided);
    }

    /// <summary>Migrates the store and loads the recently decided ids, so redeliveries after a restart are recognised.</summary>
    private async Task<HashSet<string>> PrepareStoreAsync(CancellationToken stoppingToken)
    {
        await _store.MigrateAsync(stoppingToken);
        return new HashSet<string>(
            _options.DuplicateSeedFromStore > 0 ? await _store.RecentDecisionIdsAsync(_options.DuplicateSeedFromStore, stoppingToken) : [],
            StringComparer.Ordinal);
    }

    private IProducer<byte[], byte[]> BuildProducer()
    {
        var config = KafkaClients.ProducerConfig(_options.Bootstrap, _options.ClientId + "-producer", _options.ProducerLingerMs);
        // Delivery handlers use the slot they were bound to, never the reported message: don't copy key, value
        // and headers back into .NET for every acknowledgement.
        config.DeliveryReportFields = "none";
        config.MessageTimeoutMs = _options.DeliveryTimeoutMs;
        return new ProducerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) => LogProducerError(_logger, e.Reason))
            .Build();
    }

    private DecisionServiceTopics Topics() =>
        new(_options.TransactionsTopic, _options.DecisionsTopic, _options.DeadLetterTopic, _options.LabelsTopic);

    private DecisionWorker[] BuildWorkers(DecisionEmitter emitter, HashSet<string> seed)
    {
        var workers = new DecisionWorker[_options.Workers];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new DecisionWorker(i, _options.MaxBatch, _features, _scoring, _rules, emitter,
                new DuplicateWindow(_options.DuplicateWindow, seed), _options);
        }

        return workers;
    }

    /// <summary>The consumer's last act before it commits and closes: every worker finishes, every decision is produced.</summary>
    private static void Drain(DecisionWorker[] workers, IProducer<byte[], byte[]> producer)
    {
        foreach (var worker in workers)
        {
            worker.Complete();
        }

        producer.Flush(TimeSpan.FromSeconds(60));
    }

    /// <summary>Downstream first: the store writer and the workers are running before the first transaction is consumed.</summary>
    private void StartThreads(StoreWriter storeWriter, DecisionWorker[] workers, TransactionConsumer consumer, LabelConsumer labels)
    {
        storeWriter.Start(CancellationToken.None);
        foreach (var worker in workers)
        {
            worker.Start();
        }

        _consumer = consumer;
        _labels = labels;
        consumer.Start();
        labels.Start();
    }

    /// <summary>Either a stop request or a failed consume loop ends the service; both consumers stop.</summary>
    private static async Task RunUntilStoppedAsync(TransactionConsumer consumer, LabelConsumer labels, CancellationToken stoppingToken)
    {
        using (stoppingToken.Register(() =>
        {
            consumer.RequestStop();
            labels.RequestStop();
        }))
        {
            await Task.WhenAny(consumer.Stopped, Task.Delay(Timeout.Infinite, stoppingToken)).ConfigureAwait(false);
            consumer.RequestStop();
            labels.RequestStop();
            await consumer.Stopped.ConfigureAwait(false);
            await labels.Stopped.ConfigureAwait(false);
        }
    }

    /// <summary>Publishes a label (an analyst's verdict) to the labels topic through the service's one producer.</summary>
    public async Task PublishLabelAsync(Core.Contracts.Label label, CancellationToken cancellationToken)
    {
        var producer = _producer ?? throw new InvalidOperationException("the decision service is not running");
        await producer.ProduceAsync(_options.LabelsTopic, new Message<byte[], byte[]>
        {
            Key = System.Text.Encoding.UTF8.GetBytes(label.Id),
            Value = Core.Contracts.LabelJson.Serialize(label),
        }, cancellationToken);
    }

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information,
        Message = "Decision service starting: bootstrap {Bootstrap}, {Workers} workers, {Seeded} ids seeded from the store, scorer {Device} model {Model}, rules {Ruleset}")]
    private static partial void LogStarting(ILogger logger, string bootstrap, int workers, int seeded, string device, string model, string ruleset);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Producer: {Reason}")]
    private static partial void LogProducerError(ILogger logger, string reason);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Information, Message = "Decision service stopped after {Decided} decisions")]
    private static partial void LogStopped(ILogger logger, long decided);
}
