using Confluent.Kafka;

namespace FraudStream.Ingest.Kafka;

/// <summary>
/// Client settings that work on both the embedded mock cluster and real Kafka. One place, so the
/// reasons behind each setting are written once.
/// </summary>
public static class KafkaClients
{
    /// <summary>linger.ms of the decisions producer unless configured (<c>Decisions:ProducerLingerMs</c>).</summary>
    public const double DefaultDecisionsLingerMs = 2;

    public static ProducerConfig ProducerConfig(string bootstrap, string clientId, double lingerMs = DefaultDecisionsLingerMs) => new()
    {
        BootstrapServers = bootstrap,
        ClientId = clientId,
        Acks = Acks.All,
        // Idempotence keeps per-partition order across retries on real Kafka (the mock does not dedupe:
        // the pipeline is idempotent by transaction id anyway).
        EnableIdempotence = true,
        // A short linger batches what arrives together: far fewer requests (and broker wake-ups) for a few ms.
        LingerMs = lingerMs,
        BatchNumMessages = 2000,
        QueueBufferingMaxKbytes = 256 * 1024,
        QueueBufferingMaxMessages = 500_000,
        MessageTimeoutMs = 60_000,
        SocketNagleDisable = true,
        Partitioner = Partitioner.Murmur2Random,
    };

    /// <summary>fetch.wait.max.ms unless a consumer asks for another (the transactions consumer takes <c>Decisions:FetchWaitMaxMs</c>).</summary>
    public const int DefaultFetchWaitMaxMs = 5;

    /// <summary>
    /// fetch.wait.max.ms of the transactions consumer on the embedded broker (the demo, the floor on it): the mock
    /// answers an empty fetch only after the whole wait, so the wait is on the end-to-end path, and an empty fetch is
    /// cheap there (no batch walk). Measured on 2 cores, floor at 5k / 20k / 40k tx/s: p50 −1.7 / −1.8 / −2.0 ms against
    /// 5 ms (docs/BENCHMARKS.md, 2026-12-04). Real Kafka answers a waiting fetch as soon as data arrives, so there the
    /// wait only bounds idle polling and 1 ms would be 1,000 empty fetches a second per broker.
    /// </summary>
    public const int EmbeddedFetchWaitMaxMs = 1;

    public static ConsumerConfig ConsumerConfig(string bootstrap, string groupId, string clientId, int fetchWaitMaxMs = DefaultFetchWaitMaxMs) => new()
    {
        BootstrapServers = bootstrap,
        GroupId = groupId,
        ClientId = clientId,
        // KIP-848 protocol: the classic protocol's rebalance in the mock rejects commits and redelivers.
        GroupProtocol = GroupProtocol.Consumer,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        // Offsets are stored explicitly once a decision is durably out, then committed by the client.
        EnableAutoCommit = true,
        AutoCommitIntervalMs = 200,
        EnableAutoOffsetStore = false,
        // Empty fetches wait the full fetch.wait.max.ms on the mock: keep it low for latency.
        FetchWaitMaxMs = fetchWaitMaxMs,
        FetchMinBytes = 1,
        SocketNagleDisable = true,
        QueuedMinMessages = 20_000,
        EnablePartitionEof = false,
    };
}
