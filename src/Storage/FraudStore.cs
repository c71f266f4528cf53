using System.Data.Common;
using System.Reflection;
using Dapper;
using FraudStream.Core.Telemetry;
using FraudStream.Storage.Records;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace FraudStream.Storage;

/// <summary>
/// The repositories of FraudStream over Dapper, one implementation for SQLite and PostgreSQL: migrations, queries,
/// the analyst's review marks and latency history. Decisions, dead letters and stream labels are written only
/// through <see cref="OutcomeWriter"/>. Called from the storage threads and the API, never from the
/// per-transaction hot path.
/// </summary>
public sealed class FraudStore
{
    static FraudStore()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    private FraudStore(StoreLocation location, string connectionString, string? checkpointConnectionString = null)
    {
        Location = location;
        ConnectionString = connectionString;
        _checkpointConnectionString = checkpointConnectionString;
    }

    // SQLite only: the feature checkpoints' own file (see CheckpointFile).
    private readonly string? _checkpointConnectionString;

    /// <summary>Also for <see cref="PostgresOutcomeWriter"/>, which opens its connections synchronously.</summary>
    internal string ConnectionString { get; }

    public StoreLocation Location { get; }

    public StoreProvider Provider => Location.Provider;

    public static FraudStore Open(StoreLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (location.Provider == StoreProvider.Sqlite)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(location.Target));
            if (!string.IsNullOrEmpty(dir))
            {
                Directory.CreateDirectory(dir);
            }

            return new FraudStore(location, SqliteConnectionString(location.Target), SqliteConnectionString(CheckpointFileOf(location.Target)));
        }

        return new FraudStore(location, location.Target);
    }

    private static string SqliteConnectionString(string file) => new SqliteConnectionStringBuilder
    {
        DataSource = file,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    private static string CheckpointFileOf(string storeFile) => storeFile + ".checkpoints";

    /// <summary>
    /// SQLite: the file of the feature checkpoints, beside the store (<c>PATH.checkpoints</c>). SQLite has one writer per
    /// file, and a checkpoint is tens of MB in one insert: in the store's file it held the lock the decisions' writer
    /// waits for (persist p99 +19 ms at 20k tx/s on the H200, docs/BENCHMARKS.md), in its own file it holds only its own.
    /// Null on PostgreSQL, where the table is in the database (row locks; nothing waits on a whole-database lock).
    /// </summary>
    public string? CheckpointFile => Provider == StoreProvider.Sqlite ? CheckpointFileOf(Location.Target) : null;

    private async Task<DbConnection> OpenCheckpointConnectionAsync(CancellationToken cancellationToken)
    {
        if (_checkpointConnectionString is null)
        {
            return await OpenConnectionAsync(cancellationToken);
        }

        var connection = new SqliteConnection(_checkpointConnectionString);
        await connection.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;");
        return connection;
    }

    /// <summary>
    /// SQLite: the checkpoint file's table, and the checkpoints a store of before this file kept in its own
    /// <c>feature_checkpoints</c> moved into it (oldest first, so the newest is still the newest), once.
    /// </summary>
    private async Task PrepareCheckpointFileAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenCheckpointConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("ATTACH DATABASE @file AS store", new { file = Location.Target }); // not within a transaction
        await using (var immediate = await connection.BeginTransactionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(StoreSql.SqliteCheckpointTable, transaction: immediate);

            // The store's table exists once its migrations ran; only rows in it are to move (no write to the store's file otherwise).
            if (await connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM store.feature_checkpoints)", transaction: immediate))
            {
                await connection.ExecuteAsync(
                    "INSERT INTO main.feature_checkpoints (created_at, writer, schema_version, transactions_offsets, labels_offsets, size_bytes, state) " +
                    "SELECT created_at, writer, schema_version, transactions_offsets, labels_offsets, size_bytes, state FROM store.feature_checkpoints ORDER BY seq; " +
                    "DELETE FROM store.feature_checkpoints;",
                    transaction: immediate);
            }

            await immediate.CommitAsync(cancellationToken);
        }

        await connection.ExecuteAsync("DETACH DATABASE store");
    }

    public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        DbConnection connection = Provider == StoreProvider.Sqlite
            ? new SqliteConnection(ConnectionString)
            : new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        if (Provider == StoreProvider.Sqlite)
        {
            // WAL lets the API read while the writer writes; NORMAL sync is durable across process crashes.
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;");
        }

        return connection;
    }

    /// <summary>
    /// The one way to store decisions, dead letters and stream labels: a long-lived writer of batches for one thread
    /// (the pipeline's storage thread, the labels thread); on SQLite it holds its own connection and prepared
    /// statements. Dispose it when done or after a failure.
    /// </summary>
    public Task<OutcomeWriter> OpenOutcomeWriterAsync(CancellationToken cancellationToken = default) =>
        OutcomeWriter.OpenAsync(this, cancellationToken);

    /// <summary>Key of the PostgreSQL advisory lock that serialises migrations across instances ("fsmigrat").</summary>
    internal const long MigrationLockKey = 0x66736D6967726174;

    /// <summary>
    /// Applies the embedded SQL migrations not yet recorded in <c>schema_migrations</c>, in order. Serialised across
    /// processes, so instances can start together on one database: PostgreSQL holds an advisory lock for the whole run,
    /// SQLite one immediate (write-locking) transaction.
    /// </summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        if (Provider == StoreProvider.Postgres)
        {
            await connection.ExecuteAsync("SELECT pg_advisory_lock(@key)", new { key = MigrationLockKey });
            try
            {
                return await ApplyMigrationsAsync(connection, outer: null, cancellationToken);
            }
            finally
            {
                await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = MigrationLockKey });
            }
        }

        // Microsoft.Data.Sqlite begins IMMEDIATE (not deferred) transactions: the write lock is taken here.
        IReadOnlyList<string> applied;
        await using (var immediate = await connection.BeginTransactionAsync(cancellationToken))
        {
            applied = await ApplyMigrationsAsync(connection, immediate, cancellationToken);
            await immediate.CommitAsync(cancellationToken);
        }

        await PrepareCheckpointFileAsync(cancellationToken);
        return applied;
    }

    private async Task<IReadOnlyList<string>> ApplyMigrationsAsync(DbConnection connection, DbTransaction? outer, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)", transaction: outer);
        var applied = (await connection.QueryAsync<string>("SELECT version FROM schema_migrations", transaction: outer)).ToHashSet(StringComparer.Ordinal);
        var folder = Provider == StoreProvider.Sqlite ? ".Migrations.sqlite." : ".Migrations.postgres.";
        var assembly = typeof(FraudStore).Assembly;
        var scripts = assembly.GetManifestResourceNames()
            .Where(n => n.Contains(folder, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToList();
        var newlyApplied = new List<string>();
        foreach (var resource in scripts)
        {
            var version = resource[(resource.IndexOf(folder, StringComparison.Ordinal) + folder.Length)..^".sql".Length];
            if (applied.Contains(version))
            {
                continue;
            }

            var sql = ReadResource(assembly, resource);
            var tx = outer ?? await connection.BeginTransactionAsync(cancellationToken);
            try
            {
                await connection.ExecuteAsync(sql, transaction: tx);
                await connection.ExecuteAsync(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @at)",
                    new { version, at = DateTime.UtcNow.ToString("O") },
                    tx);
                if (outer is null)
                {
                    await tx.CommitAsync(cancellationToken);
                }
            }
            finally
            {
                if (outer is null)
                {
                    await tx.DisposeAsync();
                }
            }

            newlyApplied.Add(version);
        }

        return newlyApplied;
    }

    public async Task InsertLatencySecondsAsync(IReadOnlyList<LatencySecondRecord> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO latency_seconds (second, count, p50_us, p90_us, p99_us, p999_us, max_us, within_target) " +
            "VALUES (@Second, @Count, @P50Us, @P90Us, @P99Us, @P999Us, @MaxUs, @WithinTarget) ON CONFLICT (second) DO UPDATE SET " +
            "count = excluded.count, p50_us = excluded.p50_us, p90_us = excluded.p90_us, p99_us = excluded.p99_us, " +
            "p999_us = excluded.p999_us, max_us = excluded.max_us, within_target = excluded.within_target",
            rows.Select(r => new { Second = Utc(r.Second), r.Count, r.P50Us, r.P90Us, r.P99Us, r.P999Us, r.MaxUs, r.WithinTarget }));
    }

    /// <summary>Ids decided most recently, newest first: seeds the duplicate window after a restart.</summary>
    public async Task<IReadOnlyList<string>> RecentDecisionIdsAsync(int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var ids = await connection.QueryAsync<string>(
            "SELECT id FROM decisions ORDER BY decided_at DESC LIMIT @limit", new { limit });
        return ids.AsList();
    }

    /// <summary>
    /// The most recent decisions' ids with the partition and offset each was read from: after a restart, a message
    /// at the same position is a redelivery of a decided transaction, one at another position a re-send.
    /// </summary>
    public async Task<IReadOnlyList<DecidedPosition>> RecentDecidedPositionsAsync(int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<DecidedPosition>(
            "SELECT id, source_partition, source_offset FROM decisions ORDER BY decided_at DESC LIMIT @limit", new { limit });
        return rows.AsList();
    }

    /// <summary>Decisions read from <paramref name="partition"/> at <paramref name="fromOffset"/> or later (decided, maybe not committed).</summary>
    public async Task<IReadOnlyList<DecidedPosition>> DecidedPositionsFromAsync(int partition, long fromOffset, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<DecidedPosition>(
            "SELECT id, source_partition, source_offset FROM decisions WHERE source_partition = @partition AND source_offset >= @fromOffset",
            new { partition, fromOffset });
        return rows.AsList();
    }

    /// <summary>Stores a feature-state checkpoint and prunes all but the newest <paramref name="keep"/>.</summary>
    public async Task<long> SaveFeatureCheckpointAsync(FeatureCheckpointRecord checkpoint, int keep, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        await using var connection = await OpenCheckpointConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var seq = await connection.ExecuteScalarAsync<long>(
            "INSERT INTO feature_checkpoints (created_at, writer, schema_version, transactions_offsets, labels_offsets, size_bytes, state) " +
            "VALUES (@CreatedAt, @Writer, @SchemaVersion, @TransactionsOffsets, @LabelsOffsets, @SizeBytes, @State) RETURNING seq",
            new
            {
                CreatedAt = Utc(checkpoint.CreatedAt),
                checkpoint.Writer, checkpoint.SchemaVersion, checkpoint.TransactionsOffsets, checkpoint.LabelsOffsets,
                SizeBytes = (long)checkpoint.State.Length, checkpoint.State,
            },
            tx);
        await connection.ExecuteAsync(
            "DELETE FROM feature_checkpoints WHERE seq NOT IN (SELECT seq FROM feature_checkpoints ORDER BY seq DESC LIMIT @keep)",
            new { keep }, tx);
        await tx.CommitAsync(cancellationToken);
        return seq;
    }

    /// <summary>The stored checkpoints' headers (no state), newest first.</summary>
    public async Task<IReadOnlyList<FeatureCheckpointRecord>> ListFeatureCheckpointsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenCheckpointConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<FeatureCheckpointRecord>(
            "SELECT seq, created_at, writer, schema_version, transactions_offsets, labels_offsets, size_bytes FROM feature_checkpoints ORDER BY seq DESC");
        return rows.AsList();
    }

    /// <summary>One checkpoint with its state, or null when it was pruned meanwhile.</summary>
    public async Task<FeatureCheckpointRecord?> GetFeatureCheckpointAsync(long seq, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenCheckpointConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<FeatureCheckpointRecord>(
            "SELECT seq, created_at, writer, schema_version, transactions_offsets, labels_offsets, size_bytes, state FROM feature_checkpoints WHERE seq = @seq",
            new { seq });
    }

    public async Task<long> CountDecisionsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM decisions");
    }

    public async Task<long> CountDeadLettersAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM dead_letters");
    }

    public async Task<IReadOnlyList<DeadLetterRecord>> GetDeadLettersAsync(int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<DeadLetterRecord>(
            "SELECT source_topic, source_partition, source_offset, reason, detail, payload, received_at FROM dead_letters ORDER BY seq LIMIT @limit",
            new { limit });
        return rows.AsList();
    }

    public async Task<DecisionRecord?> GetDecisionAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<DecisionRecord>(
            $"SELECT {StoreSql.DecisionColumns} FROM decisions WHERE id = @id", new { id });
    }

    public async Task<IReadOnlyList<ReviewRecord>> GetOpenReviewsAsync(int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ReviewRecord>(
            "SELECT r.id, r.created_at, r.status, d.card, d.merchant, d.amount, d.currency, d.score, d.reasons, d.event_ts " +
            "FROM review_queue r JOIN decisions d ON d.id = r.id WHERE r.status = 'open' ORDER BY r.created_at DESC LIMIT @limit",
            new { limit });
        return rows.AsList();
    }

    /// <summary>Closes an open review item and records the analyst's verdict as a label, atomically.</summary>
    public async Task<ReviewMarkOutcome> MarkReviewAsync(string id, bool fraud, string analyst, DateTime at, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var status = await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT status FROM review_queue WHERE id = @id", new { id }, tx);
        if (status is null)
        {
            return ReviewMarkOutcome.NotFound;
        }

        if (status != "open")
        {
            return ReviewMarkOutcome.AlreadyMarked;
        }

        var when = Utc(at);
        await connection.ExecuteAsync(
            "UPDATE review_queue SET status = @status, analyst = @analyst, marked_at = @when WHERE id = @id AND status = 'open'",
            new { id, status = fraud ? "fraud" : "legit", analyst, when },
            tx);
        await connection.ExecuteAsync(StoreSql.UpsertLabel, new { Id = id, Fraud = fraud, ReportedAt = when, Source = "analyst" }, tx);
        await tx.CommitAsync(cancellationToken);
        return ReviewMarkOutcome.Marked;
    }

    /// <summary>Every stored decision with its label, if any (quality reports, backtests).</summary>
    public async Task<IReadOnlyList<LabeledDecision>> GetLabeledDecisionsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<LabeledDecision>(
            "SELECT d.id, d.decision, d.score, l.fraud FROM decisions d LEFT JOIN labels l ON l.id = d.id");
        return rows.AsList();
    }

    public async Task<IReadOnlyList<DecisionRecord>> GetDecisionsAsync(int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<DecisionRecord>(
            $"SELECT {StoreSql.DecisionColumns} FROM decisions ORDER BY event_ts LIMIT @limit", new { limit });
        return rows.AsList();
    }

    /// <summary>
    /// The comparison sums of champion and challenger over the decisions that carry a challenger score, decided at or
    /// after <paramref name="since"/>, one row per pair of versions (a promotion or a new challenger starts a new pair),
    /// the pair with the most rows first. One query, summed by the database: <see cref="ModelComparison.From"/> turns
    /// each into the numbers the dashboard, /metrics and <c>models compare</c> show.
    /// </summary>
    public async Task<IReadOnlyList<ModelPairCounts>> CompareModelsAsync(DateTime since, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ModelPairCounts>(StoreSql.CompareModels, new { since = Utc(since) });
        return rows.AsList();
    }

    /// <summary>A promotion request from <c>fraudstream models promote</c>; a running serve claims and applies it. Returns its seq.</summary>
    public async Task<long> RequestPromotionAsync(string requestedBy, DateTime at, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(
            "INSERT INTO model_promotions (requested_at, requested_by, status) VALUES (@at, @requestedBy, 'requested') RETURNING seq",
            new { at = Utc(at), requestedBy });
    }

    /// <summary>The oldest request no instance has claimed, claimed for <paramref name="instance"/>; null when there is none (or another won it).</summary>
    /// <param name="requestedAtOrBefore">Only a request at least this old (an instance that would refuse it leaves it to others a while); null: any.</param>
    public async Task<ModelPromotionRecord?> ClaimPromotionRequestAsync(string instance, DateTime? requestedAtOrBefore = null,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var request = await connection.QueryFirstOrDefaultAsync<ModelPromotionRecord>(
            "SELECT seq, requested_at, requested_by, status FROM model_promotions WHERE status = 'requested' "
            + (requestedAtOrBefore is null ? "" : "AND requested_at <= @before ") + "ORDER BY seq LIMIT 1",
            new { before = requestedAtOrBefore is { } before ? Utc(before) : default });
        if (request is null)
        {
            return null;
        }

        var claimed = await connection.ExecuteAsync(
            "UPDATE model_promotions SET status = 'claimed', instance = @instance WHERE seq = @seq AND status = 'requested'",
            new { instance, seq = request.Seq });
        return claimed == 1 ? request : null;
    }

    /// <summary>
    /// What became of a claimed request: <c>applied</c> (the versions before and after) or <c>refused</c> (why). An
    /// applied promotion's package, when given, goes into the registry in the same transaction: no instance reads an
    /// <c>applied</c> row whose package is still to come.
    /// </summary>
    public async Task CompletePromotionAsync(long seq, bool applied, DateTime at, string fromVersion, string toVersion, string detail,
        ModelPackageRecord? package = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        if (applied && package is not null)
        {
            await connection.ExecuteAsync(StoreSql.UpsertModelPackage, new
            {
                package.Version, package.Sha256, SizeBytes = (long)package.Package.Length, package.Package,
                StoredAt = Utc(package.StoredAt), package.StoredBy,
            }, tx);
        }

        await connection.ExecuteAsync(
            "UPDATE model_promotions SET status = @status, applied_at = @at, from_version = @fromVersion, to_version = @toVersion, detail = @detail WHERE seq = @seq",
            new { status = applied ? "applied" : "refused", at = Utc(at), fromVersion, toVersion, detail, seq }, tx);
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>The registry's package of <paramref name="version"/> with its bytes; null when the registry has none.</summary>
    public async Task<ModelPackageRecord?> GetModelPackageAsync(string version, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ModelPackageRecord>(
            "SELECT " + StoreSql.ModelPackageHeaderColumns + ", package FROM model_packages WHERE version = @version", new { version });
    }

    /// <summary>The registry's packages without their bytes, newest first.</summary>
    public async Task<IReadOnlyList<ModelPackageRecord>> ListModelPackagesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<ModelPackageRecord>(
            "SELECT " + StoreSql.ModelPackageHeaderColumns + " FROM model_packages ORDER BY stored_at DESC, version")];
    }

    private const string PromotionColumns = "seq, requested_at, requested_by, status, applied_at, instance, from_version, to_version, detail";

    /// <summary>The newest applied promotion (what the fleet's champion should be); null when there is none.</summary>
    public async Task<ModelPromotionRecord?> LatestAppliedPromotionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<ModelPromotionRecord>(
            "SELECT " + PromotionColumns + " FROM model_promotions "
            + "WHERE status = 'applied' ORDER BY seq DESC LIMIT 1");
    }

    /// <summary>Another instance applied promotion <paramref name="seq"/> too: one <c>followed</c> row per instance, who and when.</summary>
    public async Task RecordFollowedPromotionAsync(long seq, string instance, DateTime at, string fromVersion, string toVersion, string detail,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO model_promotions (requested_at, requested_by, status, applied_at, instance, from_version, to_version, detail) "
            + "VALUES (@at, @requestedBy, 'followed', @at, @instance, @fromVersion, @toVersion, @detail)",
            new { at = Utc(at), requestedBy = $"promotion {seq}", instance, fromVersion, toVersion, detail });
    }

    /// <summary>Every promotion row, oldest first: requests, their outcome, and each instance that followed one.</summary>
    public async Task<IReadOnlyList<ModelPromotionRecord>> GetPromotionsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<ModelPromotionRecord>(
            "SELECT " + PromotionColumns + " FROM model_promotions ORDER BY seq")];
    }

    public async Task<ModelPromotionRecord?> GetPromotionAsync(long seq, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<ModelPromotionRecord>(
            "SELECT " + PromotionColumns + " FROM model_promotions WHERE seq = @seq",
            new { seq });
    }

    internal static DateTime Utc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"migration {name} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
