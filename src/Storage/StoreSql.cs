using FraudStream.Core.Contracts;

namespace FraudStream.Storage;

/// <summary>
/// The store's write statements, each written once for both databases. Parameters are named (<c>@Id</c>): Dapper and
/// Npgsql bind them by name, and <see cref="SqliteOutcomeWriter"/> binds them by position, which SQLite numbers in
/// order of first appearance — so the column lists below are also the binding order.
/// </summary>
internal static class StoreSql
{
    public const string DecisionColumns =
        "id, event_ts, card, merchant, category, amount, currency, country, lat, lon, device, channel, decision, score, " +
        "reasons, model_version, ruleset_version, decided_at, latency_us, source_partition, source_offset";

    /// <summary>The parameters of a decision, in <see cref="DecisionColumns"/> order.</summary>
    private const string DecisionParameters =
        "@Id, @EventTs, @Card, @Merchant, @Category, @Amount, @Currency, @Country, @Lat, @Lon, @Device, @Channel, @Decision, @Score, " +
        "@Reasons, @ModelVersion, @RulesetVersion, @DecidedAt, @LatencyUs, @SourcePartition, @SourceOffset";

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
