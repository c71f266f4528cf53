using System.Globalization;
using FraudStream.Storage.Records;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FraudStream.Storage;

/// <summary>
/// The SQLite <see cref="OutcomeWriter"/>: one connection and its prepared statements for the writer's whole life,
/// bound by position through SQLitePCL.raw. Microsoft.Data.Sqlite resolves every parameter by name (UTF-8
/// conversion and a linear name lookup) on every execution, which was most of the insert cost.
/// </summary>
internal sealed class SqliteOutcomeWriter : OutcomeWriter
{
    /// <summary>
    /// The text form Microsoft.Data.Sqlite itself writes for a DateTime (the store's other writes go through it), so
    /// every timestamp column reads back alike.
    /// </summary>
    private const string DateFormat = "yyyy-MM-dd HH:mm:ss.FFFFFFF";

    private readonly SqliteConnection _connection;
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt? _begin;
    private readonly sqlite3_stmt? _commit;
    private readonly sqlite3_stmt? _rollback;
    private readonly sqlite3_stmt? _decision;
    private readonly sqlite3_stmt? _review;
    private readonly sqlite3_stmt? _deadLetter;
    private readonly sqlite3_stmt? _label;
    private readonly List<DecisionRecord> _reviews = [];

    /// <summary>The dead letters that replace refused decisions in the batch being written.</summary>
    private readonly List<DeadLetterRecord> _replacements = [];

    private SqliteOutcomeWriter(SqliteConnection connection)
    {
        _connection = connection;
        _db = connection.Handle ?? throw new InvalidOperationException("the SQLite connection is not open");
        try
        {
            _begin = Prepare("BEGIN IMMEDIATE");
            _commit = Prepare("COMMIT");
            _rollback = Prepare("ROLLBACK");
            _decision = Prepare(StoreSql.InsertDecision);
            _review = Prepare(StoreSql.OpenReview);
            _deadLetter = Prepare(StoreSql.InsertDeadLetter);
            _label = Prepare(StoreSql.UpsertLabel);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static async Task<OutcomeWriter> CreateAsync(FraudStore store, CancellationToken cancellationToken)
    {
        var connection = (SqliteConnection)await store.OpenConnectionAsync(cancellationToken);
        try
        {
            return new SqliteOutcomeWriter(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private protected override int WriteOutcomes(IReadOnlyList<DecisionRecord> decisions, IReadOnlyList<DeadLetterRecord> deadLetters, IRefusedRows? refused) =>
        InTransaction((decisions, deadLetters, refused), static (writer, batch) =>
        {
            var inserted = writer.InsertDecisions(batch.decisions, batch.refused);
            writer.OpenReviews();
            writer.InsertDeadLetters(batch.deadLetters, batch.refused);
            if (writer._replacements.Count > 0)
            {
                writer.InsertDeadLetters(writer._replacements, batch.refused);
            }

            return inserted;
        });

    private protected override int WriteLabelOutcomes(IReadOnlyList<LabelRecord> labels, IReadOnlyList<DeadLetterRecord> deadLetters) =>
        InTransaction((labels, deadLetters), static (writer, batch) =>
        {
            var written = writer.UpsertLabels(batch.labels);
            writer.InsertDeadLetters(batch.deadLetters, refused: null);
            return written;
        });

    private int InTransaction<TState>(TState state, Func<SqliteOutcomeWriter, TState, int> write)
    {
        Step(_begin!);
        try
        {
            var result = write(this, state);
            Step(_commit!);
            return result;
        }
        catch
        {
            Rollback();
            throw;
        }
        finally
        {
            _reviews.Clear();
            _replacements.Clear();
        }
    }

    /// <summary>
    /// Inserts the decisions and remembers the reviews among them for <see cref="OpenReviews"/>. A row SQLite refuses
    /// fails only its own statement (the transaction goes on): with <paramref name="refused"/> it is handed over and
    /// its replacement dead letter kept for <see cref="_replacements"/>.
    /// </summary>
    private int InsertDecisions(IReadOnlyList<DecisionRecord> decisions, IRefusedRows? refused)
    {
        var inserted = 0;
        for (var i = 0; i < decisions.Count; i++)
        {
            var decision = decisions[i];
            BindDecision(_decision!, decision);
            if (!TryStep(_decision!, refused, out var refusal))
            {
                _replacements.Add(refused!.DecisionRefused(i, refusal));
                continue;
            }

            inserted += raw.sqlite3_changes(_db);
            if (OpensReview(decision))
            {
                _reviews.Add(decision);
            }
        }

        return inserted;
    }

    private void OpenReviews()
    {
        foreach (var review in _reviews)
        {
            BindText(_review!, 1, review.Id);
            BindDate(_review!, 2, review.DecidedAt);
            Step(_review!);
        }
    }

    private int UpsertLabels(IReadOnlyList<LabelRecord> labels)
    {
        var written = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var label = labels[i];
            BindText(_label!, 1, label.Id);
            Check(raw.sqlite3_bind_int64(_label!, 2, label.Fraud ? 1 : 0));
            BindDate(_label!, 3, FraudStore.Utc(label.ReportedAt));
            BindText(_label!, 4, label.Source);
            Step(_label!);
            written += raw.sqlite3_changes(_db);
        }

        return written;
    }

    private void InsertDeadLetters(IReadOnlyList<DeadLetterRecord> deadLetters, IRefusedRows? refused)
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
            if (!TryStep(_deadLetter!, refused, out var refusal))
            {
                refused!.DeadLetterRefused(d, refusal);
            }
        }
    }

    /// <summary>Steps the statement; a refusal of its row's data is returned (false) when there is someone to tell, else thrown.</summary>
    private bool TryStep(sqlite3_stmt s, IRefusedRows? refused, out string refusal)
    {
        try
        {
            Step(s);
            refusal = "";
            return true;
        }
        catch (SqliteException ex) when (refused is not null && StoreRefusal.Is(ex, out refusal))
        {
            return false;
        }
    }

    private void Rollback()
    {
        raw.sqlite3_reset(_rollback!);
        raw.sqlite3_step(_rollback!);
        raw.sqlite3_reset(_rollback!);
    }

    /// <summary>Binds in <see cref="StoreSql.DecisionColumns"/> order.</summary>
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
        BindDouble(s, 22, r.ChallengerScore);
        BindText(s, 23, r.ChallengerDecision);
        BindText(s, 24, r.ChallengerVersion);
    }

    private void BindText(sqlite3_stmt s, int index, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(s, index) : raw.sqlite3_bind_text16(s, index, value.AsSpan()));

    private void BindDouble(sqlite3_stmt s, int index, double? value) =>
        Check(value is { } v ? raw.sqlite3_bind_double(s, index, v) : raw.sqlite3_bind_null(s, index));

    /// <summary>Formats <see cref="DateFormat"/> without allocating.</summary>
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

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Statements are finalized before the connection goes back to its pool.
            _begin?.Dispose();
            _commit?.Dispose();
            _rollback?.Dispose();
            _decision?.Dispose();
            _review?.Dispose();
            _deadLetter?.Dispose();
            _label?.Dispose();
            _connection.Dispose();
        }
    }
}
