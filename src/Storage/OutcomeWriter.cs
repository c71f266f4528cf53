using System.Globalization;
using FraudStream.Storage.Records;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FraudStream.Storage;

/// <summary>
/// Writes batches of outcomes — decisions, the review items they open, dead letters — for the pipeline's one
/// storage thread, each batch in one transaction. On SQLite it keeps one connection and its prepared statements
/// for its whole life and binds by position through SQLitePCL.raw: Microsoft.Data.Sqlite resolves every
/// parameter by name (UTF-8 conversion and a linear name lookup) on every execution, which was most of the
/// insert cost. On PostgreSQL it uses the store's one-round-trip array inserts.
/// Not thread-safe: one writer per thread; dispose it (and open a new one) after a failure.
/// </summary>
public sealed class OutcomeWriter : IDisposable
{
    private const string DateFormat = "yyyy-MM-dd HH:mm:ss.FFFFFFF";
    private readonly FraudStore _store;
    private readonly SqliteConnection? _connection;
    private readonly sqlite3? _db;
    private readonly sqlite3_stmt? _begin;
    private readonly sqlite3_stmt? _commit;
    private readonly sqlite3_stmt? _rollback;
    private readonly sqlite3_stmt? _decision;
    private readonly sqlite3_stmt? _review;
    private readonly sqlite3_stmt? _deadLetter;
    private readonly sqlite3_stmt? _label;
    private readonly List<DecisionRecord> _reviews = [];
    private bool _disposed;

    private OutcomeWriter(FraudStore store, SqliteConnection? connection)
    {
        _store = store;
        _connection = connection;
        if (connection is null)
        {
            return;
        }

        _db = connection.Handle ?? throw new InvalidOperationException("the SQLite connection is not open");
        try
        {
            _begin = Prepare("BEGIN IMMEDIATE");
            _commit = Prepare("COMMIT");
            _rollback = Prepare("ROLLBACK");
            _decision = Prepare(FraudStore.SqliteInsertDecisionSql);
            _review = Prepare(FraudStore.SqliteOpenReviewSql);
            _deadLetter = Prepare(
                "INSERT INTO dead_letters (source_topic, source_partition, source_offset, reason, detail, payload, received_at) " +
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING");
            _label = Prepare(
                "INSERT INTO labels (id, fraud, reported_at, source) VALUES (?1, ?2, ?3, ?4) " + FraudStore.LabelUpsertClause);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    internal static async Task<OutcomeWriter> OpenAsync(FraudStore store, CancellationToken cancellationToken)
    {
        if (store.Provider != StoreProvider.Sqlite)
        {
            return new OutcomeWriter(store, null);
        }

        var connection = (SqliteConnection)await store.OpenConnectionAsync(cancellationToken);
        try
        {
            return new OutcomeWriter(store, connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Stores the batch in one transaction. Ids (and dead-letter source positions) already stored are skipped,
    /// not overwritten; the result counts the decisions actually inserted.
    /// </summary>
    public int Write(IReadOnlyList<DecisionRecord> decisions, IReadOnlyList<DeadLetterRecord> deadLetters)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(deadLetters);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_db is null)
        {
            // PostgreSQL: array inserts, the whole batch in one transaction (on the storage thread, which may block).
            return decisions.Count + deadLetters.Count == 0 ? 0 : _store.WriteBatchAsync(decisions, deadLetters).GetAwaiter().GetResult();
        }

        if (decisions.Count == 0 && deadLetters.Count == 0)
        {
            return 0;
        }

        Step(_begin!);
        try
        {
            var inserted = 0;
            _reviews.Clear();
            for (var i = 0; i < decisions.Count; i++)
            {
                var r = decisions[i];
                BindDecision(_decision!, r);
                Step(_decision!);
                inserted += raw.sqlite3_changes(_db);
                if (r.Decision == "review")
                {
                    _reviews.Add(r);
                }
            }

            foreach (var r in _reviews)
            {
                BindText(_review!, 1, r.Id);
                BindDate(_review!, 2, r.DecidedAt);
                Step(_review!);
            }

            _reviews.Clear();
            WriteDeadLetters(deadLetters);
            Step(_commit!);
            return inserted;
        }
        catch
        {
            _reviews.Clear();
            Rollback();
            throw;
        }
    }

    /// <summary>
    /// Upserts labels (a later verdict wins) and stores the unreadable ones as dead letters, in one transaction
    /// (the labels consumer's thread has its own writer). Returns the labels written.
    /// </summary>
    public int WriteLabels(IReadOnlyList<LabelRecord> labels, IReadOnlyList<DeadLetterRecord> deadLetters)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(deadLetters);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_db is null)
        {
            return labels.Count + deadLetters.Count == 0 ? 0 : _store.WriteLabelBatchAsync(labels, deadLetters).GetAwaiter().GetResult();
        }

        if (labels.Count == 0 && deadLetters.Count == 0)
        {
            return 0;
        }

        Step(_begin!);
        try
        {
            for (var i = 0; i < labels.Count; i++)
            {
                var l = labels[i];
                BindText(_label!, 1, l.Id);
                Check(raw.sqlite3_bind_int64(_label!, 2, l.Fraud ? 1 : 0));
                BindDate(_label!, 3, FraudStore.Utc(l.ReportedAt));
                BindText(_label!, 4, l.Source);
                Step(_label!);
            }

            WriteDeadLetters(deadLetters);
            Step(_commit!);
            return labels.Count;
        }
        catch
        {
            Rollback();
            throw;
        }
    }

    private void WriteDeadLetters(IReadOnlyList<DeadLetterRecord> deadLetters)
    {
        for (var i = 0; i < deadLetters.Count; i++)
        {
            var d = deadLetters[i];
            BindText(_deadLetter!, 1, d.SourceTopic);
            Check(raw.sqlite3_bind_int64(_deadLetter!, 2, d.SourcePartition));
            Check(raw.sqlite3_bind_int64(_deadLetter!, 3, d.SourceOffset));
            BindText(_deadLetter!, 4, d.Reason);
            BindText(_deadLetter!, 5, d.Detail);
            Check(raw.sqlite3_bind_blob(_deadLetter!, 6, d.Payload));
            BindDate(_deadLetter!, 7, FraudStore.Utc(d.ReceivedAt));
            Step(_deadLetter!);
        }
    }

    private void Rollback()
    {
        raw.sqlite3_reset(_rollback!);
        raw.sqlite3_step(_rollback!);
        raw.sqlite3_reset(_rollback!);
    }

    private void BindDecision(sqlite3_stmt s, DecisionRecord r)
    {
        BindText(s, 1, r.Id);
        BindDate(s, 2, r.EventTs);
        BindText(s, 3, r.Card);
        BindText(s, 4, r.Merchant);
        BindText(s, 5, r.Category);
        Check(raw.sqlite3_bind_double(s, 6, (double)r.Amount));
        BindText(s, 7, r.Currency);
        BindText(s, 8, r.Country);
        BindDouble(s, 9, r.Lat);
        BindDouble(s, 10, r.Lon);
        BindText(s, 11, r.Device);
        BindText(s, 12, r.Channel);
        BindText(s, 13, r.Decision);
        BindDouble(s, 14, r.Score);
        BindText(s, 15, r.Reasons);
        BindText(s, 16, r.ModelVersion);
        BindText(s, 17, r.RulesetVersion);
        BindDate(s, 18, r.DecidedAt);
        Check(raw.sqlite3_bind_int64(s, 19, r.LatencyUs));
        Check(raw.sqlite3_bind_int64(s, 20, r.SourcePartition));
        Check(raw.sqlite3_bind_int64(s, 21, r.SourceOffset));
    }

    private void BindText(sqlite3_stmt s, int index, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(s, index) : raw.sqlite3_bind_text16(s, index, value.AsSpan()));

    private void BindDouble(sqlite3_stmt s, int index, double? value) =>
        Check(value is { } v ? raw.sqlite3_bind_double(s, index, v) : raw.sqlite3_bind_null(s, index));

    /// <summary>The text form Microsoft.Data.Sqlite itself writes for DateTime, formatted without allocating.</summary>
    private void BindDate(sqlite3_stmt s, int index, DateTime value)
    {
        Span<char> text = stackalloc char[32];
        if (!value.TryFormat(text, out var written, DateFormat, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("date does not fit its text form");
        }

        Check(raw.sqlite3_bind_text16(s, index, text[..written]));
    }

    private void Step(sqlite3_stmt s)
    {
        var rc = raw.sqlite3_step(s);
        raw.sqlite3_reset(s);
        if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
        {
            throw Error(rc);
        }
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw Error(rc);
        }
    }

    private SqliteException Error(int rc) => new(raw.sqlite3_errmsg(_db).utf8_to_string() ?? "SQLite error " + rc, rc);

    private sqlite3_stmt Prepare(string sql)
    {
        var rc = raw.sqlite3_prepare_v2(_db, sql, out var stmt);
        if (rc != raw.SQLITE_OK)
        {
            stmt?.Dispose();
            throw Error(rc);
        }

        return stmt;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // Statements are finalized before the connection goes back to its pool.
        _begin?.Dispose();
        _commit?.Dispose();
        _rollback?.Dispose();
        _decision?.Dispose();
        _review?.Dispose();
        _deadLetter?.Dispose();
        _label?.Dispose();
        _connection?.Dispose();
    }
}
