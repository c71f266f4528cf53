using System.Data.Common;
using System.Reflection;
using Dapper;
using FraudStream.Storage.Records;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace FraudStream.Storage;

/// <summary>
/// The repositories of FraudStream over Dapper, one implementation for SQLite and PostgreSQL: the SQL is
/// shared where the dialects agree, and the few differences (upserts, timestamps, array inserts) are
/// behind <see cref="StoreProvider"/> switches. Called from the storage writer thread and the API,
/// never from the per-transaction hot path.
/// </summary>
public sealed class FraudStore
{
    private const string DecisionColumns =
        "id, event_ts, card, merchant, category, amount, currency, country, lat, lon, device, channel, decision, score, " +
        "reasons, model_version, ruleset_version, decided_at, latency_us, source_partition, source_offset";

    private const string DecisionValues =
        "@Id, @EventTs, @Card, @Merchant, @Category, @Amount, @Currency, @Country, @Lat, @Lon, @Device, @Channel, @Decision, @Score, " +
        "@Reasons, @ModelVersion, @RulesetVersion, @DecidedAt, @LatencyUs, @SourcePartition, @SourceOffset";

    /// <summary>The SQLite decision insert with positional parameters, in <see cref="DecisionColumns"/> order (<see cref="OutcomeWriter"/>).</summary>
    internal const string SqliteInsertDecisionSql =
        $"INSERT INTO decisions ({DecisionColumns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) " +
        "ON CONFLICT (id) DO NOTHING";

    /// <summary>
    /// Opens a review item only when the stored decision for the id is a review: a redelivered transaction decided
    /// differently the second time (its insert did nothing) must not open an item against the first decision.
    /// </summary>
    internal const string OpenReviewSql =
        "INSERT INTO review_queue (id, created_at, status) SELECT @Id, @DecidedAt, 'open' " +
        "WHERE EXISTS (SELECT 1 FROM decisions WHERE id = @Id AND decision = 'review') ON CONFLICT (id) DO NOTHING";

    internal const string SqliteOpenReviewSql =
        "INSERT INTO review_queue (id, created_at, status) SELECT ?1, ?2, 'open' " +
        "WHERE EXISTS (SELECT 1 FROM decisions WHERE id = ?1 AND decision = 'review') ON CONFLICT (id) DO NOTHING";

    /// <summary>The newest report wins: a label redelivered late never overwrites a later verdict.</summary>
    internal const string LabelUpsertClause =
        "ON CONFLICT (id) DO UPDATE SET fraud = excluded.fraud, reported_at = excluded.reported_at, source = excluded.source " +
        "WHERE excluded.reported_at >= labels.reported_at";

    static FraudStore()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    private FraudStore(StoreLocation location, string connectionString)
    {
        Location = location;
        _connectionString = connectionString;
    }

    private readonly string _connectionString;

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

            var cs = new SqliteConnectionStringBuilder
            {
                DataSource = location.Target,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Cache = SqliteCacheMode.Private,
                Pooling = true,
                DefaultTimeout = 30,
            }.ToString();
            return new FraudStore(location, cs);
        }

        return new FraudStore(location, location.Target);
    }

    public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        DbConnection connection = Provider == StoreProvider.Sqlite
            ? new SqliteConnection(_connectionString)
            : new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        if (Provider == StoreProvider.Sqlite)
        {
            // WAL lets the API read while the writer writes; NORMAL sync is durable across process crashes.
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;");
        }

        return connection;
    }

    /// <summary>
    /// A long-lived writer of outcome batches for one thread (the pipeline's storage thread): on SQLite it holds
    /// its own connection and prepared statements. Dispose it when done or after a failure.
    /// </summary>
    public Task<OutcomeWriter> OpenOutcomeWriterAsync(CancellationToken cancellationToken = default) =>
        OutcomeWriter.OpenAsync(this, cancellationToken);

    /// <summary>Applies the embedded SQL migrations not yet recorded in <c>schema_migrations</c>, in order.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)");
        var applied = (await connection.QueryAsync<string>("SELECT version FROM schema_migrations")).ToHashSet(StringComparer.Ordinal);
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
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(sql, transaction: tx);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @at)",
                new { version, at = DateTime.UtcNow.ToString("O") },
                tx);
            await tx.CommitAsync(cancellationToken);
            newlyApplied.Add(version);
        }

        return newlyApplied;
    }

    /// <summary>
    /// Stores decided transactions (and opens review items for reviews) in one transaction. Ids already
    /// stored are skipped, not overwritten: the return value counts the rows actually inserted, so
    /// <c>rows.Count - inserted</c> duplicates reached the store.
    /// </summary>
    public async Task<int> InsertDecisionsAsync(IReadOnlyList<DecisionRecord> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return 0;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await InsertDecisionsAsync(connection, tx, rows);
        await tx.CommitAsync(cancellationToken);
        return inserted;
    }

    /// <summary>
    /// Decisions and dead letters of one batch in one transaction (the PostgreSQL side of <see cref="OutcomeWriter"/>):
    /// either all of it is stored or none. Returns the decisions inserted.
    /// </summary>
    public async Task<int> WriteBatchAsync(IReadOnlyList<DecisionRecord> decisions, IReadOnlyList<DeadLetterRecord> deadLetters,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(deadLetters);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = decisions.Count > 0 ? await InsertDecisionsAsync(connection, tx, decisions) : 0;
        if (deadLetters.Count > 0)
        {
            await InsertDeadLettersAsync(connection, tx, deadLetters);
        }

        await tx.CommitAsync(cancellationToken);
        return inserted;
    }

    /// <summary>Labels and the bad labels' dead letters in one transaction. Returns the labels written.</summary>
    public async Task<int> WriteLabelBatchAsync(IReadOnlyList<LabelRecord> labels, IReadOnlyList<DeadLetterRecord> deadLetters,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(deadLetters);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var written = labels.Count > 0 ? await UpsertLabelsAsync(connection, tx, labels) : 0;
        if (deadLetters.Count > 0)
        {
            await InsertDeadLettersAsync(connection, tx, deadLetters);
        }

        await tx.CommitAsync(cancellationToken);
        return written;
    }

    private async Task<int> InsertDecisionsAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<DecisionRecord> rows)
    {
        var inserted = Provider == StoreProvider.Postgres
            ? await InsertDecisionsPostgresAsync(connection, tx, rows)
            : InsertDecisionsSqlite((SqliteConnection)connection, (SqliteTransaction)tx, rows);
        List<DecisionRecord>? reviews = null;
        foreach (var row in rows)
        {
            if (row.Decision == "review")
            {
                (reviews ??= []).Add(row);
            }
        }

        if (reviews is not null)
        {
            await connection.ExecuteAsync(OpenReviewSql, reviews, tx);
        }

        return inserted;
    }

    /// <summary>
    /// SQLite has no array parameters: one prepared statement, rebound per row, inside the batch's
    /// transaction — several times cheaper than building a command per row.
    /// </summary>
    private static int InsertDecisionsSqlite(SqliteConnection connection, SqliteTransaction tx, IReadOnlyList<DecisionRecord> rows)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = $"INSERT INTO decisions ({DecisionColumns}) VALUES ({DecisionValues}) ON CONFLICT (id) DO NOTHING";
        var names = new[]
        {
            "@Id", "@EventTs", "@Card", "@Merchant", "@Category", "@Amount", "@Currency", "@Country", "@Lat", "@Lon", "@Device", "@Channel",
            "@Decision", "@Score", "@Reasons", "@ModelVersion", "@RulesetVersion", "@DecidedAt", "@LatencyUs", "@SourcePartition", "@SourceOffset",
        };
        var p = new SqliteParameter[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            p[i] = command.Parameters.Add(names[i], SqliteType.Text);
        }

        p[5].SqliteType = SqliteType.Real;
        p[8].SqliteType = SqliteType.Real;
        p[9].SqliteType = SqliteType.Real;
        p[13].SqliteType = SqliteType.Real;
        p[18].SqliteType = SqliteType.Integer;
        p[19].SqliteType = SqliteType.Integer;
        p[20].SqliteType = SqliteType.Integer;
        command.Prepare();
        var inserted = 0;
        foreach (var r in rows)
        {
            p[0].Value = r.Id;
            p[1].Value = SqliteTime(r.EventTs);
            p[2].Value = r.Card;
            p[3].Value = r.Merchant;
            p[4].Value = r.Category;
            p[5].Value = (double)r.Amount;
            p[6].Value = r.Currency;
            p[7].Value = r.Country;
            p[8].Value = r.Lat is { } lat ? lat : DBNull.Value;
            p[9].Value = r.Lon is { } lon ? lon : DBNull.Value;
            p[10].Value = (object?)r.Device ?? DBNull.Value;
            p[11].Value = (object?)r.Channel ?? DBNull.Value;
            p[12].Value = r.Decision;
            p[13].Value = r.Score is { } score ? score : DBNull.Value;
            p[14].Value = r.Reasons;
            p[15].Value = r.ModelVersion;
            p[16].Value = r.RulesetVersion;
            p[17].Value = SqliteTime(r.DecidedAt);
            p[18].Value = r.LatencyUs;
            p[19].Value = r.SourcePartition;
            p[20].Value = r.SourceOffset;
            inserted += command.ExecuteNonQuery();
        }

        return inserted;
    }

    /// <summary>The text form Microsoft.Data.Sqlite itself writes for DateTime, so Dapper reads it back alike.</summary>
    private static string SqliteTime(DateTime value) => value.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<int> InsertDecisionsPostgresAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<DecisionRecord> rows)
    {
        // One round trip for the whole batch: columns as arrays, unnested server-side.
        var n = rows.Count;
        var p = new
        {
            Id = new string[n], EventTs = new DateTime[n], Card = new string[n], Merchant = new string[n], Category = new string[n],
            Amount = new decimal[n], Currency = new string[n], Country = new string[n], Lat = new double?[n], Lon = new double?[n],
            Device = new string?[n], Channel = new string?[n], Decision = new string[n], Score = new double?[n], Reasons = new string[n],
            ModelVersion = new string[n], RulesetVersion = new string[n], DecidedAt = new DateTime[n], LatencyUs = new long[n],
            SourcePartition = new int[n], SourceOffset = new long[n],
        };
        for (var i = 0; i < n; i++)
        {
            var r = rows[i];
            p.Id[i] = r.Id; p.EventTs[i] = Utc(r.EventTs); p.Card[i] = r.Card; p.Merchant[i] = r.Merchant; p.Category[i] = r.Category;
            p.Amount[i] = r.Amount; p.Currency[i] = r.Currency; p.Country[i] = r.Country; p.Lat[i] = r.Lat; p.Lon[i] = r.Lon;
            p.Device[i] = r.Device; p.Channel[i] = r.Channel; p.Decision[i] = r.Decision; p.Score[i] = r.Score; p.Reasons[i] = r.Reasons;
            p.ModelVersion[i] = r.ModelVersion; p.RulesetVersion[i] = r.RulesetVersion; p.DecidedAt[i] = Utc(r.DecidedAt);
            p.LatencyUs[i] = r.LatencyUs; p.SourcePartition[i] = r.SourcePartition; p.SourceOffset[i] = r.SourceOffset;
        }

        return await connection.ExecuteAsync(
            $"INSERT INTO decisions ({DecisionColumns}) SELECT * FROM unnest(@Id, @EventTs, @Card, @Merchant, @Category, @Amount, " +
            "@Currency, @Country, @Lat, @Lon, @Device, @Channel, @Decision, @Score, @Reasons, @ModelVersion, @RulesetVersion, " +
            "@DecidedAt, @LatencyUs, @SourcePartition, @SourceOffset) ON CONFLICT (id) DO NOTHING",
            p,
            tx);
    }

    public async Task<int> InsertDeadLettersAsync(IReadOnlyList<DeadLetterRecord> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return 0;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await InsertDeadLettersAsync(connection, tx, rows);
        await tx.CommitAsync(cancellationToken);
        return inserted;
    }

    private static Task<int> InsertDeadLettersAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<DeadLetterRecord> rows) =>
        connection.ExecuteAsync(
            "INSERT INTO dead_letters (source_topic, source_partition, source_offset, reason, detail, payload, received_at) " +
            "VALUES (@SourceTopic, @SourcePartition, @SourceOffset, @Reason, @Detail, @Payload, @ReceivedAt) " +
            "ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING",
            rows.Select(r => new { r.SourceTopic, r.SourcePartition, r.SourceOffset, r.Reason, r.Detail, r.Payload, ReceivedAt = Utc(r.ReceivedAt) }),
            tx);

    /// <summary>Inserts or updates labels: a later verdict (an analyst's, a corrected chargeback) wins.</summary>
    public async Task<int> UpsertLabelsAsync(IReadOnlyList<LabelRecord> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return 0;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var n = await UpsertLabelsAsync(connection, tx, rows);
        await tx.CommitAsync(cancellationToken);
        return n;
    }

    private static Task<int> UpsertLabelsAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<LabelRecord> rows) =>
        connection.ExecuteAsync(
            "INSERT INTO labels (id, fraud, reported_at, source) VALUES (@Id, @Fraud, @ReportedAt, @Source) " + LabelUpsertClause,
            rows.Select(r => new { r.Id, r.Fraud, ReportedAt = Utc(r.ReportedAt), r.Source }),
            tx);

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
            $"SELECT {DecisionColumns} FROM decisions WHERE id = @id", new { id });
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
        await connection.ExecuteAsync(
            "INSERT INTO labels (id, fraud, reported_at, source) VALUES (@id, @fraud, @when, 'analyst') " +
            LabelUpsertClause,
            new { id, fraud, when },
            tx);
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
            $"SELECT {DecisionColumns} FROM decisions ORDER BY event_ts LIMIT @limit", new { limit });
        return rows.AsList();
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
