using System.Collections.Concurrent;
using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Latency;
using FraudStream.Pipeline.Processing;
using FraudStream.Pipeline.State;
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
    private readonly CheckpointOptions _checkpoints;
    private readonly FraudStore _store;
    private readonly IFeatureStage _features;
    private readonly IScoringStage _scoring;
    private readonly IRulesStage _rules;
    private readonly ILogger<DecisionService> _logger;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TransactionConsumer? _consumer;
    private LabelConsumer? _labels;
    private volatile IProducer<byte[], byte[]>? _producer;

    public DecisionService(IOptions<DecisionServiceOptions> options, IOptions<CheckpointOptions> checkpoints, FraudStore store,
        IFeatureStage features, IScoringStage scoring, IRulesStage rules, PipelineTelemetry telemetry, ILogger<DecisionService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(checkpoints);
        _options = options.Value;
        _checkpoints = checkpoints.Value;
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

    /// <summary>The challenger's side of the service (promotions, live comparison); null until the service runs.</summary>
    internal ChallengerMonitor? Challenger { get; private set; }

    /// <summary>Reads the live champion/challenger comparison from the store now instead of at the next interval.</summary>
    public Task RefreshComparisonAsync(CancellationToken cancellationToken = default) =>
        Challenger?.CompareAsync(cancellationToken) ?? Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seed = await PrepareStoreAsync(stoppingToken);
        // Before the first transaction: a restarted instance decides on the fleet's promoted champion from the start.
        var challenger = new ChallengerMonitor(_store, _scoring, InstanceName(), DateTime.UtcNow, _options.IgnorePromotions, _logger);
        Challenger = challenger;
        await challenger.FollowAtStartAsync(stoppingToken);
        var restored = await RestoreStateAsync(stoppingToken);
        LogStarting(_logger, _options.Bootstrap, _options.Workers, seed.Count, _scoring.Current.Device, _scoring.Current.Version, _rules.RulesetVersion);
        using var producer = BuildProducer();
        _producer = producer;
        var outcomes = new OutcomeStatistics();
        var storeWriter = new StoreWriter(_store, _options.StoreBatchSize, outcomes, _logger);
        var decisionPartitions = new OutputPartitions(_options.DecisionsTopic);
        var deadLetterPartitions = new OutputPartitions(_options.DeadLetterTopic);
        MapOutputPartitions(decisionPartitions, deadLetterPartitions);
        using var emitter = new DecisionEmitter(producer, Topics(), decisionPartitions, deadLetterPartitions, storeWriter, _logger);
        using var readback = new ProducedReadback(_options, _logger);
        var producedNotStored = new ConcurrentDictionary<string, DecisionMessage>(StringComparer.Ordinal);
        var producedDeadLetters = new ProducedDeadLetters();
        var workers = BuildWorkers(emitter, seed, producedNotStored, producedDeadLetters);
        var takeover = new Takeover(seed, producedNotStored, producedDeadLetters, readback, decisionPartitions, deadLetterPartitions);
        var progress = new ReplayProgress();
        var follower = new PartitionFollower(_options, workers, restored.TransactionsOffsets, progress, _logger);
        var labels = new LabelConsumer(_options, _store, _features, restored.LabelsOffsets, progress.CaughtUp, _logger);
        using var checkpointer = new StateCheckpointer(_options, _checkpoints, _store, _features, workers, follower, labels, InstanceName(), _logger)
        {
            RestoredSeq = restored.Seq,
            RestoreMs = restored.RestoreMs,
            CaughtUp = progress.CaughtUp,
        };
        var consumer = new TransactionConsumer(_options, workers, emitter, follower, progress, checkpointer, _logger)
        {
            DrainPipeline = () => Drain(follower, workers, producer),
            TakingOver = (partition, committed) => RecognizeDecided(takeover, partition, committed),
        };
        var inputs = ReportingInputs.Of(consumer, workers, emitter, storeWriter, outcomes, _features, _scoring, _rules,
            new InstanceInputs(_options.ClientId, follower, checkpointer, progress), challenger);
        var reporter = new LatencyReporter(Telemetry, inputs, _store, _logger);

        using var reporting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        StartThreads(storeWriter, workers, follower, consumer, labels);
        var reporterTask = reporter.RunAsync(reporting.Token);
        var challengerTask = challenger.RunAsync(reporting.Token);
        _ready.TrySetResult();

        await RunUntilStoppedAsync(consumer, labels, follower, stoppingToken);
        _producer = null;
        await storeWriter.CompleteAsync();
        await reporting.CancelAsync();
        await reporterTask;
        await challengerTask;
        await reporter.TickAsync();
        LogStopped(_logger, inputs.Totals().Decided);
    }

    /// <summary>Migrates the store and loads the recently decided ids with their positions, so redeliveries after a restart are recognised.</summary>
    private async Task<ConcurrentDictionary<string, long>> PrepareStoreAsync(CancellationToken stoppingToken)
    {
        await _store.MigrateAsync(stoppingToken);
        var seed = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        if (_options.DuplicateSeedFromStore > 0)
        {
            foreach (var decided in await _store.RecentDecidedPositionsAsync(_options.DuplicateSeedFromStore, stoppingToken))
            {
                seed.TryAdd(decided.Id, DuplicateWindow.Position(decided.SourcePartition, decided.SourceOffset));
            }
        }

        return seed;
    }

    /// <summary>
    /// Restores the newest checkpoint the store holds (any instance's: every instance folds every partition). A damaged
    /// or unreadable one is skipped with a warning for the next older; with none, the features are rebuilt from the
    /// beginning of the retained log — a longer replay, never silently empty state.
    /// </summary>
    private async Task<RestoredState> RestoreStateAsync(CancellationToken stoppingToken)
    {
        if (!_checkpoints.Enabled)
        {
            LogNoCheckpoint(_logger, "checkpoints are disabled");
            return RestoredState.None;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var headers = await _store.ListFeatureCheckpointsAsync(stoppingToken);
        foreach (var header in headers)
        {
            var checkpoint = await _store.GetFeatureCheckpointAsync(header.Seq, stoppingToken);
            if (checkpoint is null)
            {
                continue; // pruned meanwhile
            }

            if (!PartitionOffsets.TryParse(checkpoint.TransactionsOffsets, out var transactions)
                || !PartitionOffsets.TryParse(checkpoint.LabelsOffsets, out var labels))
            {
                LogCheckpointRefused(_logger, checkpoint.Seq, "its offsets are unreadable");
                continue;
            }

            if (!_features.TryRestore(checkpoint.State, out var error))
            {
                LogCheckpointRefused(_logger, checkpoint.Seq, error ?? "refused");
                continue;
            }

            var ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            LogRestored(_logger, checkpoint.Seq, checkpoint.Writer, checkpoint.CreatedAt, checkpoint.State.Length, _features.CardCount, ms);
            return new RestoredState(transactions, labels, checkpoint.Seq, ms);
        }

        LogNoCheckpoint(_logger, headers.Count == 0 ? "the store holds none" : "none of the stored ones could be restored");
        return RestoredState.None;
    }

    /// <summary>What a takeover reads and fills: the seed of decided ids and what was produced but not stored.</summary>
    private sealed record Takeover(ConcurrentDictionary<string, long> Seed, ConcurrentDictionary<string, DecisionMessage> ProducedNotStored,
        ProducedDeadLetters ProducedDeadLetters, ProducedReadback Readback, OutputPartitions Decisions, OutputPartitions DeadLetters);

    /// <summary>
    /// A partition taken over: what its previous owner decided past the committed offset (stored, not yet committed)
    /// is recognised on redelivery and not decided again.
    /// </summary>
    /// <remarks>
    /// What it produced but did not store (killed in between) is read back from the decisions topic: those are stored
    /// as the topic has them on redelivery, so the topic never carries a second decision for one id. Its dead letters
    /// past the committed offset (stored or not) are read back from the dead-letter topic and stored from there on
    /// redelivery, never produced again.
    /// </remarks>
    private void RecognizeDecided(Takeover takeover, int partition, long committed)
    {
        if (partition >= takeover.Decisions.SourceCount || partition >= takeover.DeadLetters.SourceCount)
        {
            // A partition added to the transactions topic since the map was made: map it before anything is produced for it.
            MapOutputPartitions(takeover.Decisions, takeover.DeadLetters, partition + 1);
        }

        var from = Math.Max(0, committed);
        var seed = takeover.Seed;
        foreach (var decided in _store.DecidedPositionsFromAsync(partition, from).GetAwaiter().GetResult())
        {
            seed[decided.Id] = DuplicateWindow.Position(decided.SourcePartition, decided.SourceOffset);
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var recovered = 0;
        foreach (var produced in takeover.Readback.ReadDecisions(takeover.Decisions, partition, from))
        {
            var id = produced.Decision.Id;
            // Already in the seed: stored (just above, or found at start), so not one to store from the topic.
            if (seed.TryAdd(id, DuplicateWindow.Position(produced.SourcePartition, produced.SourceOffset)))
            {
                takeover.ProducedNotStored[id] = produced.Decision;
                recovered++;
            }
        }

        if (recovered > 0)
        {
            LogProducedNotStored(_logger, partition, recovered, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        started = System.Diagnostics.Stopwatch.GetTimestamp();
        var deadLetters = takeover.Readback.ReadDeadLetters(takeover.DeadLetters, partition, from);
        foreach (var deadLetter in deadLetters)
        {
            takeover.ProducedDeadLetters.Add(deadLetter);
        }

        if (deadLetters.Count > 0)
        {
            LogDeadLettersReadBack(_logger, partition, deadLetters.Count, _options.DeadLetterTopic, from,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>
    /// Maps each transactions partition to its decisions and dead-letter partitions: the one of the same number, or, on
    /// an output topic with fewer partitions, that number modulo its count (warned: a takeover's readback then reads past
    /// other partitions' records). Called at start and when a partition beyond the map is assigned (the topic grew).
    /// </summary>
    private void MapOutputPartitions(OutputPartitions decisions, OutputPartitions deadLetters, int atLeast = 0)
    {
        var transactions = Math.Max(atLeast, TopicPartitions.Of(_options.Bootstrap, _options.TransactionsTopic).Count);
        foreach (var output in (ReadOnlySpan<OutputPartitions>)[decisions, deadLetters])
        {
            var count = TopicPartitions.Of(_options.Bootstrap, output.Topic).Count;
            if (count < transactions || transactions == 0)
            {
                LogOutputNotAligned(_logger, output.Topic, count, _options.TransactionsTopic, transactions);
            }

            // Never shrinks: a partition once mapped keeps its output partition (a metadata answer that came back short
            // must not move records that may still be read back).
            output.Resize(Math.Max(transactions, output.SourceCount), count > 0 ? Math.Max(count, output.Count) : output.Count);
        }
    }

    private string InstanceName() => $"{_options.ClientId}@{Environment.MachineName}:{Environment.ProcessId}";

    private sealed record RestoredState(IReadOnlyDictionary<int, long> TransactionsOffsets, IReadOnlyDictionary<int, long> LabelsOffsets, long Seq, double RestoreMs)
    {
        public static readonly RestoredState None = new(new Dictionary<int, long>(), new Dictionary<int, long>(), -1, 0);
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

    private DecisionWorker[] BuildWorkers(DecisionEmitter emitter, ConcurrentDictionary<string, long> seed,
        ConcurrentDictionary<string, DecisionMessage> producedNotStored, ProducedDeadLetters producedDeadLetters)
    {
        var workers = new DecisionWorker[_options.Workers];
        var ids = new IdRegistry(_options.DuplicateWindow * 4);
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new DecisionWorker(i, _options.MaxBatch, _features, _scoring, _rules, emitter,
                new DuplicateWindow(_options.DuplicateWindow, seed, producedNotStored), producedDeadLetters, ids, _options);
        }

        return workers;
    }

    /// <summary>The consumer's last act before it commits and closes: the follower stops, every worker finishes, every decision is produced.</summary>
    private void Drain(PartitionFollower follower, DecisionWorker[] workers, IProducer<byte[], byte[]> producer)
    {
        // Each step logged: a stop that does not end says where it waits.
        LogDraining(_logger);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        follower.RequestStop();
        follower.Stopped.ContinueWith(static _ => { }, TaskScheduler.Default).Wait();
        var followerStopped = System.Diagnostics.Stopwatch.GetTimestamp();
        LogFollowerStopped(_logger, System.Diagnostics.Stopwatch.GetElapsedTime(started, followerStopped).TotalMilliseconds);
        foreach (var worker in workers)
        {
            worker.Complete();
        }

        var workersDone = System.Diagnostics.Stopwatch.GetTimestamp();
        var unflushed = producer.Flush(TimeSpan.FromSeconds(60));
        LogDrained(_logger, System.Diagnostics.Stopwatch.GetElapsedTime(followerStopped, workersDone).TotalMilliseconds,
            System.Diagnostics.Stopwatch.GetElapsedTime(workersDone).TotalMilliseconds, unflushed);
    }

    [LoggerMessage(EventId = 1507, Level = LogLevel.Information, Message = "Stopping: draining the pipeline (the follower, then the workers, then the producer)")]
    private static partial void LogDraining(ILogger logger);

    [LoggerMessage(EventId = 1508, Level = LogLevel.Information, Message = "Stopping: the follower stopped in {Milliseconds:F0} ms")]
    private static partial void LogFollowerStopped(ILogger logger, double milliseconds);

    [LoggerMessage(EventId = 1509, Level = LogLevel.Information,
        Message = "Stopping: the workers finished in {WorkersMs:F0} ms, the producer flushed in {FlushMs:F0} ms ({Unflushed} not delivered)")]
    private static partial void LogDrained(ILogger logger, double workersMs, double flushMs, int unflushed);

    /// <summary>Downstream first: the store writer and the workers are running before the first transaction is consumed.</summary>
    private void StartThreads(StoreWriter storeWriter, DecisionWorker[] workers, PartitionFollower follower, TransactionConsumer consumer, LabelConsumer labels)
    {
        storeWriter.Start(CancellationToken.None);
        foreach (var worker in workers)
        {
            worker.Start();
        }

        _consumer = consumer;
        _labels = labels;
        follower.Start(); // before the consumer: assignments are taken over from it
        consumer.Start();
        labels.Start();
    }

    /// <summary>
    /// A stop request, or the failure of any of the three consume loops, ends the service: the others stop too and the
    /// failure is rethrown, so the host exits non-zero (a labels or follower loop that died would leave the features
    /// going stale while /healthz said ok).
    /// </summary>
    private static async Task RunUntilStoppedAsync(TransactionConsumer consumer, LabelConsumer labels, PartitionFollower follower,
        CancellationToken stoppingToken)
    {
        using (stoppingToken.Register(() =>
        {
            consumer.RequestStop();
            labels.RequestStop();
        }))
        {
            await Task.WhenAny(consumer.Stopped, labels.Stopped, follower.Stopped, Task.Delay(Timeout.Infinite, stoppingToken)).ConfigureAwait(false);
            consumer.RequestStop();
            labels.RequestStop();
            await Task.WhenAll(consumer.Stopped, labels.Stopped).ConfigureAwait(false);
            await follower.Stopped.ConfigureAwait(false);
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

    [LoggerMessage(EventId = 1504, Level = LogLevel.Information,
        Message = "Restored checkpoint {Seq} (written by {Writer} at {CreatedAt:O}, {Bytes} bytes, {Cards} cards) in {Ms:F0} ms; replaying from its offsets")]
    private static partial void LogRestored(ILogger logger, long seq, string writer, DateTime createdAt, int bytes, int cards, double ms);

    [LoggerMessage(EventId = 1505, Level = LogLevel.Warning, Message = "Checkpoint {Seq} refused ({Reason}); trying an older one")]
    private static partial void LogCheckpointRefused(ILogger logger, long seq, string reason);

    [LoggerMessage(EventId = 1506, Level = LogLevel.Warning,
        Message = "No checkpoint restored ({Reason}): the features are rebuilt from the beginning of the retained log (features only, nothing decided again)")]
    private static partial void LogNoCheckpoint(ILogger logger, string reason);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Producer: {Reason}")]
    private static partial void LogProducerError(ILogger logger, string reason);

    [LoggerMessage(EventId = 1062, Level = LogLevel.Warning,
        Message = "Partition {Partition}: {Count} decisions were on the topic but not in the store (the previous owner stopped in between); they are stored from the topic on redelivery, not decided again ({Ms:F0} ms)")]
    private static partial void LogProducedNotStored(ILogger logger, int partition, int count, double ms);

    [LoggerMessage(EventId = 1063, Level = LogLevel.Warning,
        Message = "{Topic} has {OutputPartitions} partitions and {Transactions} has {TransactionPartitions} (or the cluster did not say): the records of transactions partition p go to partition p modulo {OutputPartitions}, so a takeover's readback reads past other partitions' records (with none known, records are keyed and not read back: a kill between produce and store may produce them again)")]
    private static partial void LogOutputNotAligned(ILogger logger, string topic, int outputPartitions, string transactions, int transactionPartitions);

    [LoggerMessage(EventId = 1064, Level = LogLevel.Warning,
        Message = "Partition {Partition}: {Count} dead letters were on {Topic} past the committed offset {Committed} (the previous owner stopped before it committed); they are stored from the topic on redelivery, not produced again ({Ms:F0} ms)")]
    private static partial void LogDeadLettersReadBack(ILogger logger, int partition, int count, string topic, long committed, double ms);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Information, Message = "Decision service stopped after {Decided} decisions")]
    private static partial void LogStopped(ILogger logger, long decided);
}
