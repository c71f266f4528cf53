namespace FraudStream.Core.Latency;

/// <summary>Where a transaction's time goes, in pipeline order. <see cref="EndToEnd"/> spans them all.</summary>
public enum Stage
{
    /// <summary>The transaction's creation (the producer's header, else its Kafka timestamp) to taken off the consumer: producer linger, broker, fetch.</summary>
    Transit,
    QueueWait,
    Deserialize,
    Features,
    ScoringWait,
    ScoringCompute,
    Rules,
    Emit,
    Persist,
    EndToEnd,
}

public static class StageNames
{
    public const int Count = 10;

    private static readonly string[] Names =
        ["transit", "queue_wait", "deserialize", "features", "scoring_wait", "scoring_compute", "rules", "emit", "persist", "end_to_end"];

    public static string Name(this Stage stage) => Names[(int)stage];

    /// <summary>
    /// Whether the stage is one step of the end-to-end path (the steps add up to it). Persist runs after the
    /// broker's acknowledgement, where end to end stops; end to end spans all the steps.
    /// </summary>
    public static bool IsStepOfEndToEnd(this Stage stage) => stage < Stage.Persist;

    public static IReadOnlyList<string> All => Names;
}
