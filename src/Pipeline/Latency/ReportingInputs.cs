using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;
using FraudStream.Pipeline.Processing;
using FraudStream.Pipeline.State;

namespace FraudStream.Pipeline.Latency;

/// <summary>
/// Everything the reporter reads once a second, gathered by the decision service as it builds the pipeline:
/// each recording thread's stage recorders and counters, the consumer's lag, the stored outcomes, the stages, and the
/// instance's partitions and checkpoints.
/// </summary>
internal sealed class ReportingInputs
{
    public required IReadOnlyList<StageRecorders> Recorders { get; init; }

    public required IReadOnlyList<PipelineCounters> Counters { get; init; }

    public required TransactionConsumer Consumer { get; init; }

    public required OutcomeStatistics Outcomes { get; init; }

    public required IScoringStage Scoring { get; init; }

    public required IRulesStage Rules { get; init; }

    public required IFeatureStage Features { get; init; }

    /// <summary>The instance's name in the group: its configured client id.</summary>
    public required string InstanceName { get; init; }

    public required PartitionFollower Follower { get; init; }

    public required StateCheckpointer Checkpointer { get; init; }

    public required ReplayProgress Progress { get; init; }

    public required Hosting.ChallengerMonitor Challenger { get; init; }

    public required StoreWriter StoreWriter { get; init; }

    /// <summary>The recorders and counters of every thread that records: consumer, workers, delivery and store.</summary>
    public static ReportingInputs Of(TransactionConsumer consumer, IReadOnlyList<DecisionWorker> workers, DecisionEmitter emitter,
        StoreWriter storeWriter, OutcomeStatistics outcomes, IFeatureStage features, IScoringStage scoring, IRulesStage rules, InstanceInputs instance,
        Hosting.ChallengerMonitor challenger)
    {
        var recorders = new List<StageRecorders> { consumer.Recorders, emitter.DeliveryRecorders, storeWriter.Recorders };
        var counters = new List<PipelineCounters> { consumer.Counters, emitter.DeliveryCounters, storeWriter.Counters };
        foreach (var worker in workers)
        {
            recorders.Add(worker.Recorders);
            counters.Add(worker.Counters);
        }

        return new ReportingInputs
        {
            Recorders = recorders, Counters = counters, Consumer = consumer, Outcomes = outcomes, Features = features, Scoring = scoring, Rules = rules,
            InstanceName = instance.Name, Follower = instance.Follower, Checkpointer = instance.Checkpointer, Progress = instance.Progress,
            Challenger = challenger, StoreWriter = storeWriter,
        };
    }

    public PipelineTotals Totals() => PipelineCounters.Sum(Counters);

    /// <summary>Batch sizes come from a scorer that batches (<see cref="IScorerStatus"/>); the port alone has none.</summary>
    public ScorerTelemetry Scorer()
    {
        var model = Scoring.Current;
        return new(model.Device, model.Version, model.Available, (Scoring as IScorerStatus)?.BatchSizes() ?? []);
    }

    /// <summary>State sizes come from a feature stage that holds state (<see cref="IFeatureStatus"/>).</summary>
    public FeatureStateTelemetry FeatureStateNow() => (Features as IFeatureStatus)?.StateNow() ?? FeatureStateTelemetry.None;

    /// <summary>Reload failures come from rules that reload (<see cref="IRulesStatus"/>); thresholds alone have none.</summary>
    public RulesTelemetry RulesNow() =>
        new(Rules.RulesetVersion, (Rules as IRulesStatus)?.ReloadErrors ?? [], Rules.HitTotals());

    /// <summary>Decided partitions from the consumer, followed ones from the follower, both ascending.</summary>
    public InstanceTelemetry InstanceNow()
    {
        var followed = new List<int>(Follower.Positions.Keys);
        followed.Sort();
        var status = Checkpointer.Status(Progress.Outstanding);
        return new InstanceTelemetry(InstanceName, [.. Consumer.Decided], followed, new CheckpointTelemetry(
            status.Saved, status.Failed, status.LastSavedAt, status.LastBytes, status.LastCaptureMs, status.RestoredSeq, status.RestoreMs,
            status.ReplayPartitions));
    }
}

/// <summary>What the reporter reads about the instance itself: its name, the follower, the checkpointer, the replay after the start.</summary>
internal sealed record InstanceInputs(string Name, PartitionFollower Follower, StateCheckpointer Checkpointer, ReplayProgress Progress);
