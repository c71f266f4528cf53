using FraudStream.Core.Contracts;

namespace FraudStream.Storage;

/// <summary>
/// The store's write statements, each written once for both databases. Parameters are named (<c>@Id</c>): Dapper and
/// Npgsql bind them by name, and <see cref="SqliteOutcomeWriter"/> binds them by position, which SQLite numbers in
/// order of first appearance — so the column lists below are also the binding order.
/// </summary>
internal static class StoreSql
{
    /// <summary>
    /// SQLite: the feature checkpoints' table in the checkpoint file (<see cref="FraudStore.CheckpointFile"/>), the columns
    /// of <c>sqlite/003_feature_checkpoints.sql</c>, where the table first lived (PostgreSQL keeps it there).
    /// </summary>
    public const string SqliteCheckpointTable =
        "CREATE TABLE IF NOT EXISTS main.feature_checkpoints (seq INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, " +
        "writer TEXT NOT NULL, schema_version TEXT NOT NULL, transactions_offsets TEXT NOT NULL, labels_offsets TEXT NOT NULL, " +
        "size_bytes INTEGER NOT NULL, state BLOB NOT NULL)";

    public const string DecisionColumns =
        "id, event_ts, card, merchant, category, amount, currency, country, lat, lon, device, channel, decision, score, " +
        "reasons, model_version, ruleset_version, decided_at, latency_us, source_partition, source_offset, " +
        "challenger_score, challenger_decision, challenger_version";

    /// <summary>The parameters of a decision, in <see cref="DecisionColumns"/> order.</summary>
    private const string DecisionParameters =
        "@Id, @EventTs, @Card, @Merchant, @Category, @Amount, @Currency, @Country, @Lat, @Lon, @Device, @Channel, @Decision, @Score, " +
        "@Reasons, @ModelVersion, @RulesetVersion, @DecidedAt, @LatencyUs, @SourcePartition, @SourceOffset, " +
        "@ChallengerScore, @ChallengerDecision, @ChallengerVersion";

    /// <summary>Ids already stored are skipped, not overwritten: a redelivered transaction is stored (and so decided) once.</summary>
    private const string OnDuplicateDecision = " ON CONFLICT (id) DO NOTHING";

    /// <summary>One decision (SQLite, a prepared statement rebound per row).</summary>
    public const string InsertDecision = $"INSERT INTO decisions ({DecisionColumns}) VALUES ({DecisionParameters})" + OnDuplicateDecision;

    /// <summary>A batch of decisions in one round trip (PostgreSQL): each parameter an array, unnested server-side.</summary>
    public const string InsertDecisionArrays = $"INSERT INTO decisions ({DecisionColumns}) SELECT * FROM unnest({DecisionParameters})" + OnDuplicateDecision;

    /// <summary>
    /// Opens a review item only when the stored decision for the id is a review: a redelivered transaction decided
    /// differently the second time (its insert did nothing) must not open an item against the first decision.
    /// </summary>
    public static readonly string OpenReview =
        "INSERT INTO review_queue (id, created_at, status) SELECT @Id, @DecidedAt, 'open' " +
        $"WHERE EXISTS (SELECT 1 FROM decisions WHERE id = @Id AND decision = '{DecisionKind.Review.ToWire()}') ON CONFLICT (id) DO NOTHING";

    /// <summary>
    /// The sums of <see cref="Core.Telemetry.ModelComparisonCounts"/> per (champion, challenger) version pair. "Flagged"
    /// is a review or a decline; a label counts where one arrived. Pearson sums only where both scores are numbers.
    /// </summary>
    public static readonly string CompareModels =
        "SELECT d.model_version AS ChampionVersion, d.challenger_version AS ChallengerVersion, COUNT(*) AS Compared, " +
        "SUM(CASE WHEN d.decision = d.challenger_decision THEN 1 ELSE 0 END) AS Agreed, " +
        "SUM(CASE WHEN d.score IS NOT NULL THEN 1 ELSE 0 END) AS Scored, " +
        "SUM(CASE WHEN d.score IS NOT NULL THEN d.score ELSE 0.0 END) AS SumChampion, " +
        "SUM(CASE WHEN d.score IS NOT NULL THEN d.challenger_score ELSE 0.0 END) AS SumChallenger, " +
        "SUM(CASE WHEN d.score IS NOT NULL THEN d.score * d.score ELSE 0.0 END) AS SumChampionSquared, " +
        "SUM(CASE WHEN d.score IS NOT NULL THEN d.challenger_score * d.challenger_score ELSE 0.0 END) AS SumChallengerSquared, " +
        "SUM(CASE WHEN d.score IS NOT NULL THEN d.score * d.challenger_score ELSE 0.0 END) AS SumProduct, " +
        $"SUM(CASE WHEN d.decision = '{Review}' THEN 1 ELSE 0 END) AS ChampionReview, " +
        $"SUM(CASE WHEN d.decision = '{Decline}' THEN 1 ELSE 0 END) AS ChampionDecline, " +
        $"SUM(CASE WHEN d.challenger_decision = '{Review}' THEN 1 ELSE 0 END) AS ChallengerReview, " +
        $"SUM(CASE WHEN d.challenger_decision = '{Decline}' THEN 1 ELSE 0 END) AS ChallengerDecline, " +
        "SUM(CASE WHEN l.id IS NOT NULL THEN 1 ELSE 0 END) AS Labelled, " +
        "SUM(CASE WHEN l.fraud = TRUE THEN 1 ELSE 0 END) AS LabelledFraud, " +
        $"SUM(CASE WHEN l.id IS NOT NULL AND d.decision IN ('{Review}', '{Decline}') THEN 1 ELSE 0 END) AS ChampionFlaggedLabelled, " +
        $"SUM(CASE WHEN l.fraud = TRUE AND d.decision IN ('{Review}', '{Decline}') THEN 1 ELSE 0 END) AS ChampionFlaggedFraud, " +
        $"SUM(CASE WHEN l.id IS NOT NULL AND d.challenger_decision IN ('{Review}', '{Decline}') THEN 1 ELSE 0 END) AS ChallengerFlaggedLabelled, " +
        $"SUM(CASE WHEN l.fraud = TRUE AND d.challenger_decision IN ('{Review}', '{Decline}') THEN 1 ELSE 0 END) AS ChallengerFlaggedFraud " +
        "FROM decisions d LEFT JOIN labels l ON l.id = d.id " +
        "WHERE d.challenger_score IS NOT NULL AND d.decided_at >= @since " +
        "GROUP BY d.model_version, d.challenger_version ORDER BY COUNT(*) DESC";

    private static string Review => DecisionKind.Review.ToWire();

    private static string Decline => DecisionKind.Decline.ToWire();

    /// <summary>
    /// A promoted package into the registry. A version promoted again (a rollback) replaces its row: the registry holds,
    /// per version, the package of the latest promotion to it.
    /// </summary>
    public const string UpsertModelPackage =
        "INSERT INTO model_packages (version, sha256, size_bytes, package, stored_at, stored_by) " +
        "VALUES (@Version, @Sha256, @SizeBytes, @Package, @StoredAt, @StoredBy) ON CONFLICT (version) DO UPDATE SET " +
        "sha256 = excluded.sha256, size_bytes = excluded.size_bytes, package = excluded.package, " +
        "stored_at = excluded.stored_at, stored_by = excluded.stored_by";

    /// <summary>A registry row without its bytes (listing, the cheap check).</summary>
    public const string ModelPackageHeaderColumns = "version, sha256, size_bytes, stored_at, stored_by";

    public const string InsertDeadLetter =
        "INSERT INTO dead_letters (source_topic, source_partition, source_offset, reason, detail, payload, received_at) " +
        "VALUES (@SourceTopic, @SourcePartition, @SourceOffset, @Reason, @Detail, @Payload, @ReceivedAt) " +
        "ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING";

    /// <summary>Labels from the stream and from analysts. The newest report wins: a label redelivered late never overwrites a later verdict.</summary>
    public const string UpsertLabel =
        "INSERT INTO labels (id, fraud, reported_at, source) VALUES (@Id, @Fraud, @ReportedAt, @Source) " +
        "ON CONFLICT (id) DO UPDATE SET fraud = excluded.fraud, reported_at = excluded.reported_at, source = excluded.source " +
        "WHERE excluded.reported_at >= labels.reported_at";
}
