using Dapper;
using FraudStream.Storage.Records;
using Npgsql;

namespace FraudStream.Storage;

/// <summary>
/// The PostgreSQL <see cref="OutcomeWriter"/>: a pooled connection per batch, the decisions in one round trip
/// (columns as arrays, unnested server-side), synchronous because the storage threads may block.
/// </summary>
internal sealed class PostgresOutcomeWriter(FraudStore store) : OutcomeWriter
{
    private readonly List<DecisionRecord> _reviews = [];

    private protected override int WriteOutcomes(IReadOnlyList<DecisionRecord> decisions, IReadOnlyList<DeadLetterRecord> deadLetters, IRefusedRows? refused)
    {
        try
        {
            using var connection = Open();
            using var tx = connection.BeginTransaction();
            var inserted = decisions.Count > 0 ? InsertDecisions(connection, tx, decisions) : 0;
            OpenReviews(connection, tx, decisions);
            InsertDeadLetters(connection, tx, deadLetters);
            tx.Commit();
            return inserted;
        }
        catch (PostgresException ex) when (refused is not null && StoreRefusal.Is(ex, out _))
        {
            // The batch's one round trip cannot tell which row it was: store the batch again row by row.
            return WriteRowByRow(decisions, deadLetters, refused);
        }
    }

    /// <summary>
    /// The batch in one transaction again, each row behind a savepoint: a refused row is rolled back alone (and handed
    /// to <paramref name="refused"/>), the others are stored. Only after a refusal, so its round trips do not matter.
    /// </summary>
    private int WriteRowByRow(IReadOnlyList<DecisionRecord> decisions, IReadOnlyList<DeadLetterRecord> deadLetters, IRefusedRows refused)
    {
        using var connection = Open();
        using var tx = connection.BeginTransaction();
        var inserted = 0;
        var stored = new List<DecisionRecord>(decisions.Count);
        var letters = new List<DeadLetterRecord>(deadLetters);
        for (var i = 0; i < decisions.Count; i++)
        {
            if (TryRow(tx, () => inserted += InsertDecisions(connection, tx, [decisions[i]]), out var refusal))
            {
                stored.Add(decisions[i]);
            }
            else
            {
                letters.Add(refused.DecisionRefused(i, refusal));
            }
        }

        OpenReviews(connection, tx, stored);
        foreach (var letter in letters)
        {
            if (!TryRow(tx, () => InsertDeadLetters(connection, tx, [letter]), out var refusal))
            {
                refused.DeadLetterRefused(letter, refusal);
            }
        }

        tx.Commit();
        return inserted;
    }

    private static bool TryRow(NpgsqlTransaction tx, Action write, out string refusal)
    {
        tx.Save("row");
        try
        {
            write();
            tx.Release("row");
            refusal = "";
            return true;
        }
        catch (PostgresException ex) when (StoreRefusal.Is(ex, out refusal))
        {
            tx.Rollback("row");
            return false;
        }
    }

    private protected override int WriteLabelOutcomes(IReadOnlyList<LabelRecord> labels, IReadOnlyList<DeadLetterRecord> deadLetters)
    {
        using var connection = Open();
        using var tx = connection.BeginTransaction();
        var written = labels.Count > 0
            ? connection.Execute(StoreSql.UpsertLabel, labels.Select(r => new { r.Id, r.Fraud, ReportedAt = FraudStore.Utc(r.ReportedAt), r.Source }), tx)
            : 0;
        InsertDeadLetters(connection, tx, deadLetters);
        tx.Commit();
        return written;
    }

    private NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(store.ConnectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static int InsertDecisions(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<DecisionRecord> rows)
    {
        var n = rows.Count;
        var p = new
        {
            Id = new string[n], EventTs = new DateTime[n], Card = new string[n], Merchant = new string[n], Category = new string[n],
            Amount = new decimal[n], Currency = new string[n], Country = new string[n], Lat = new double?[n], Lon = new double?[n],
            Device = new string?[n], Channel = new string?[n], Decision = new string[n], Score = new double?[n], Reasons = new string[n],
            ModelVersion = new string[n], RulesetVersion = new string[n], DecidedAt = new DateTime[n], LatencyUs = new long[n],
            SourcePartition = new int[n], SourceOffset = new long[n],
            ChallengerScore = new double?[n], ChallengerDecision = new string?[n], ChallengerVersion = new string?[n],
        };
        for (var i = 0; i < n; i++)
        {
            var r = rows[i];
            p.Id[i] = r.Id; p.EventTs[i] = FraudStore.Utc(r.EventTs); p.Card[i] = r.Card; p.Merchant[i] = r.Merchant; p.Category[i] = r.Category;
            p.Amount[i] = r.Amount; p.Currency[i] = r.Currency; p.Country[i] = r.Country; p.Lat[i] = r.Lat; p.Lon[i] = r.Lon;
            p.Device[i] = r.Device; p.Channel[i] = r.Channel; p.Decision[i] = r.Decision; p.Score[i] = r.Score; p.Reasons[i] = r.Reasons;
            p.ModelVersion[i] = r.ModelVersion; p.RulesetVersion[i] = r.RulesetVersion; p.DecidedAt[i] = FraudStore.Utc(r.DecidedAt);
            p.LatencyUs[i] = r.LatencyUs; p.SourcePartition[i] = r.SourcePartition; p.SourceOffset[i] = r.SourceOffset;
            p.ChallengerScore[i] = r.ChallengerScore; p.ChallengerDecision[i] = r.ChallengerDecision; p.ChallengerVersion[i] = r.ChallengerVersion;
        }

        return connection.Execute(StoreSql.InsertDecisionArrays, p, tx);
    }

    private void OpenReviews(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<DecisionRecord> decisions)
    {
        _reviews.Clear();
        for (var i = 0; i < decisions.Count; i++)
        {
            if (OpensReview(decisions[i]))
            {
                _reviews.Add(decisions[i]);
            }
        }

        if (_reviews.Count > 0)
        {
            connection.Execute(StoreSql.OpenReview, _reviews, tx);
            _reviews.Clear();
        }
    }

    private static void InsertDeadLetters(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<DeadLetterRecord> rows)
    {
        if (rows.Count > 0)
        {
            connection.Execute(
                StoreSql.InsertDeadLetter,
                rows.Select(r => new { r.SourceTopic, r.SourcePartition, r.SourceOffset, r.Reason, r.Detail, r.Payload, ReceivedAt = FraudStore.Utc(r.ReceivedAt) }),
                tx);
        }
    }
}
