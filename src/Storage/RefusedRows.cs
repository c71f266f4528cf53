using FraudStream.Storage.Records;
using Microsoft.Data.Sqlite;
using Npgsql;
using SQLitePCL;

namespace FraudStream.Storage;

/// <summary>
/// Told of the rows a write could not store because the store refused their data, so that one bad row never fails its
/// batch for good: the rest of the batch is stored, and each refused decision is replaced by the dead letter
/// <see cref="DecisionRefused"/> returns. Called on the writing thread, during the write.
/// </summary>
public interface IRefusedRows
{
    /// <summary>The decision at <paramref name="index"/> of the batch was refused; returns the dead letter to store instead.</summary>
    DeadLetterRecord DecisionRefused(int index, string refusal);

    /// <summary>A dead letter was refused too: it is not stored (the caller says so loudly).</summary>
    void DeadLetterRefused(DeadLetterRecord deadLetter, string refusal);
}

/// <summary>
/// Which store errors are about a row's data and not about the store: those the same row would meet again on every
/// retry. Everything else (connection refused or lost, timeouts, 08xxx, 53xxx, 57Pxx, SQLITE_BUSY, a missing table)
/// may pass and is retried.
/// </summary>
internal static class StoreRefusal
{
    /// <summary>
    /// PostgreSQL SQLSTATE class 22 (data exception: a value out of its column's range, bad text) or 23 (integrity
    /// constraint violation); SQLite's constraint (also a trigger's RAISE), type mismatch and too-big errors.
    /// </summary>
    public static bool Is(Exception ex, out string refusal)
    {
        switch (ex)
        {
            case PostgresException pg when pg.SqlState.StartsWith("22", StringComparison.Ordinal) || pg.SqlState.StartsWith("23", StringComparison.Ordinal):
                // The message names the problem, not the row's values (its Detail may quote them).
                refusal = $"PostgreSQL {pg.SqlState}: {pg.MessageText}";
                return true;
            case SqliteException sqlite when (sqlite.SqliteErrorCode & 0xFF) is raw.SQLITE_CONSTRAINT or raw.SQLITE_MISMATCH or raw.SQLITE_TOOBIG:
                refusal = sqlite.Message;
                return true;
            default:
                refusal = "";
                return false;
        }
    }
}
