using System.ComponentModel.DataAnnotations;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;

namespace FraudStream.Pipeline.Hosting;

/// <summary>Settings of the decision service, bound from the <c>Decisions</c> configuration section.</summary>
public sealed class DecisionServiceOptions
{
    public const string Section = "Decisions";

    /// <summary>The widest event-time window either side (<see cref="MaxFutureSkewSeconds"/>, <see cref="MaxAgeDays"/>): ten years.</summary>
    public const int MaxEventTimeWindowSeconds = 315_360_000;

    /// <summary>Kafka bootstrap servers, HOST:PORT[,HOST:PORT].</summary>
    [Required(ErrorMessage = "Decisions:Bootstrap (--bootstrap) is required: the Kafka bootstrap servers, HOST:PORT")]
    public string Bootstrap { get; set; } = "";

    [Required]
    public string GroupId { get; set; } = "fraudstream-decisions";

    public string TransactionsTopic { get; set; } = Topics.Transactions;

    public string DecisionsTopic { get; set; } = Topics.Decisions;

    public string DeadLetterTopic { get; set; } = Topics.DeadLetters;

    public string LabelsTopic { get; set; } = Topics.Labels;

    /// <summary>Parallel decision workers; each owns the partitions p with p % Workers == its index.</summary>
    [Range(1, 64)]
    public int Workers { get; set; } = 2;

    /// <summary>Most transactions a worker takes from its queue at once (they are scored as one batch).</summary>
    [Range(1, 4096)]
    public int MaxBatch { get; set; } = 64;

    /// <summary>Transactions consumed but not yet durably decided; the consumer pauses when this many are out.</summary>
    [Range(16, 1_000_000)]
    public int MaxInFlight { get; set; } = 20_000;

    /// <summary>
    /// librdkafka's max.poll.interval.ms: an instance that does not poll for this long leaves the group. The consume
    /// loop polls while paused for back-pressure, so only a wedged loop reaches it.
    /// </summary>
    [Range(1_000, 86_400_000)]
    public int MaxPollIntervalMs { get; set; } = 300_000;

    [Range(1, 100_000)]
    public int StoreBatchSize { get; set; } = 2_000;

    /// <summary>End-to-end latency target in milliseconds (reports and dashboard).</summary>
    [Range(0.1, 600_000)]
    public double TargetMs { get; set; } = 45;

    /// <summary>Recently decided ids remembered per worker to recognise redeliveries and duplicates.</summary>
    [Range(1_000, 50_000_000)]
    public int DuplicateWindow { get; set; } = 500_000;

    /// <summary>Ids loaded from the store at start, so redeliveries after a restart are recognised.</summary>
    [Range(0, 50_000_000)]
    public int DuplicateSeedFromStore { get; set; } = 500_000;

    public string ClientId { get; set; } = "fraudstream-service";

    /// <summary>
    /// The deployment's secret that keys card-number tokens: a PAN in any text field (card, merchant, device, id) is
    /// replaced by <c>pan_</c> and its HMAC-SHA256 under this key. Required, with no default, so no two deployments
    /// share tokens and none can be reversed with a key from the source. Keep it across restarts (a new key gives every
    /// card a new id, and so an empty history); set it through the environment
    /// (<c>FRAUDSTREAM_Decisions__TokenKey</c>), never on the command line.
    /// </summary>
    [Required(ErrorMessage = TokenKeyProblem)]
    [MinLength(Core.Identifiers.PanTokenizer.MinKeyLength, ErrorMessage = TokenKeyProblem)]
    public string TokenKey { get; set; } = "";

    private const string TokenKeyProblem =
        "Decisions:TokenKey (env FRAUDSTREAM_Decisions__TokenKey) is required: a secret of at least 32 characters that keys card-number tokens, e.g. `openssl rand -hex 32`; keep it across restarts";

    /// <summary>
    /// How far a transaction's <c>ts</c> or a label's <c>reported_at</c> may be ahead of the service clock, in seconds;
    /// further ahead is dead-lettered <c>timestamp_out_of_range</c>. A far-future time would move a worker's event
    /// clock (its expiry sweep would evict every card) or make a label beat every later verdict. The default allows
    /// for producers' clock drift; a simulated world whose event time runs ahead of the wall clock (the demo) needs more.
    /// </summary>
    [Range(0, MaxEventTimeWindowSeconds)]
    public int MaxFutureSkewSeconds { get; set; } = 300;

    /// <summary>
    /// How old a transaction's <c>ts</c> or a label's <c>reported_at</c> may be, in days; older is dead-lettered
    /// <c>timestamp_out_of_range</c>. 0, the default, sets no limit, so historical files (BankSim, 2014) replay.
    /// </summary>
    [Range(0, MaxEventTimeWindowSeconds / 86_400)]
    public int MaxAgeDays { get; set; }

    /// <summary>
    /// How long the decisions producer waits to batch (librdkafka linger.ms). Longer batches mean fewer produce
    /// requests and fewer, larger message sets for the broker and every reader of the decisions topic; each ms is
    /// on the end-to-end path (the latency ends at the broker's acknowledgement).
    /// </summary>
    [Range(0, 1_000)]
    public double ProducerLingerMs { get; set; } = KafkaClients.DefaultDecisionsLingerMs;

    /// <summary>
    /// How long the transactions consumer's fetch waits for data (librdkafka fetch.wait.max.ms). Real Kafka answers a
    /// waiting fetch as soon as data arrives, so there this only bounds idle polling; the embedded broker answers an
    /// empty fetch only after the whole wait, so there each ms can be on the end-to-end path.
    /// </summary>
    [Range(1, 10_000)]
    public int FetchWaitMaxMs { get; set; } = KafkaClients.DefaultFetchWaitMaxMs;

    /// <summary>
    /// librdkafka's message.timeout.ms for decisions and dead letters. 0, the default, never gives up: the producer
    /// retries through a broker outage itself, in order (idempotent), and back-pressure pauses consumption meanwhile.
    /// A finite timeout hands timed-out deliveries to the service's own retry, which does not keep per-card order
    /// across the timed-out ones.
    /// </summary>
    [Range(0, 86_400_000)]
    public int DeliveryTimeoutMs { get; set; }

    /// <summary>
    /// The operator's override (<c>--ignore-promotions</c>): follow no applied promotion, at start or later, and keep
    /// <c>--model</c> (and a challenger promoted here on request). Without it an instance starts on, and follows, the
    /// latest applied promotion's champion, from its challenger or the store's registry (docs/SCORING.md).
    /// </summary>
    public bool IgnorePromotions { get; set; }
}
