using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;
using FraudStream.Pipeline.Processing;

namespace FraudStream.Pipeline.Latency;

/// <summary>
/// Everything the reporter reads once a second, gathered by the decision service as it builds the pipeline:
/// each recording thread's stage recorders and counters, the consumer's lag, the stored outcomes and the stages.
/// </summary>
internal sealed class ReportingInputs
{
    public required IReadOnlyList<StageRecorders> Recorders { get; init; }

    public required IReadOnlyList<PipelineCounters> Counters { get; init; }

    public required TransactionConsumer Consumer { get; init; }

    public required OutcomeStatistics Outcomes { get; init; }

    public required IScoringStage Scoring { get; init; }

    public required IRulesStage Rules { get; init; }

    /// <summary>The recorders and counters of every thread that records: consumer, workers, delivery and store.</summary>
    public static ReportingInputs Of(TransactionConsumer consumer, IReadOnlyList<DecisionWorker> workers, DecisionEmitter emitter,
        StoreWriter storeWriter, OutcomeStatistics outcomes, IScoringStage scoring, IRulesStage rules)
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
            Recorders = recorders, Counters = counters, Consumer = consumer, Outcomes = outcomes, Scoring = scoring, Rules = rules,
        };
    }

    public PipelineTotals Totals() => PipelineCounters.Sum(Counters);

    /// <summary>Batch sizes come from a scorer that batches (<see cref="IScorerStatus"/>); the port alone has none.</summary>
    public ScorerTelemetry Scorer()
    {
        var model = Scoring.Current;
        return new(model.Device, model.Version, model.Available, (Scoring as IScorerStatus)?.BatchSizes() ?? []);
    }

    /// <summary>Reload failures come from rules that reload (<see cref="IRulesStatus"/>); thresholds alone have none.</summary>
    public RulesTelemetry RulesNow() =>
        new(Rules.RulesetVersion, (Rules as IRulesStatus)?.ReloadErrors ?? [], Rules.HitTotals());
}
