using Dapper;
using FraudStream.Storage;
using FraudStream.Storage.Records;
using Microsoft.Data.Sqlite;

namespace FraudStream.Storage.Tests;

/// <summary>SQLite keeps the feature checkpoints in a file of their own, so writing one never holds the decisions' write lock.</summary>
public sealed class CheckpointFileTests
{
    private static FeatureCheckpointRecord Checkpoint(string writer, int bytes) => new()
    {
        CreatedAt = new DateTime(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc),
        Writer = writer,
        SchemaVersion = "fs-features-v2",
        TransactionsOffsets = "[1,2]",
        LabelsOffsets = "[3]",
        State = new byte[bytes],
    };

    [Fact]
    public async Task While_a_checkpoint_is_being_written_the_decisions_file_takes_a_write_at_once()
    {
        var store = await StoreFixtures.NewStoreAsync(StoreProvider.Sqlite);
        Assert.True(File.Exists(store.CheckpointFile));

        // A checkpoint writer in the middle of its insert: the checkpoint file's write lock held.
        await using var checkpointWriter = new SqliteConnection($"Data Source={store.CheckpointFile};Pooling=False");
        await checkpointWriter.OpenAsync();
        await using var open = await checkpointWriter.BeginTransactionAsync();
        await checkpointWriter.ExecuteAsync(
            "INSERT INTO feature_checkpoints (created_at, writer, schema_version, transactions_offsets, labels_offsets, size_bytes, state) " +
            "VALUES ('2026-12-03', 'x', 'v', '[]', '[]', 1, x'00')", transaction: open);

        // The decisions' file: a write transaction that may not wait (busy timeout 0; Microsoft.Data.Sqlite retries for 1 s at most) still begins and commits.
        await using (var decisions = new SqliteConnection($"Data Source={store.Location.Target};Pooling=False;Default Timeout=1"))
        {
            await decisions.OpenAsync();
            await decisions.ExecuteAsync("PRAGMA busy_timeout=0");
            await using var write = await decisions.BeginTransactionAsync();
            await decisions.ExecuteAsync("INSERT INTO schema_migrations (version, applied_at) VALUES ('probe', 'now')", transaction: write);
            await write.CommitAsync();
        }

        // …and the checkpoint file itself is what is locked (the proof that the probe could have failed).
        await using var second = new SqliteConnection($"Data Source={store.CheckpointFile};Pooling=False;Default Timeout=1");
        await second.OpenAsync();
        await second.ExecuteAsync("PRAGMA busy_timeout=0");
        var busy = await Assert.ThrowsAsync<SqliteException>(async () =>
        {
            await using var blocked = await second.BeginTransactionAsync();
        });
        Assert.Equal(5, busy.SqliteErrorCode); // SQLITE_BUSY
        await open.RollbackAsync();
    }

    [Fact]
    public async Task Checkpoints_are_saved_pruned_and_read_from_the_checkpoint_file()
    {
        var store = await StoreFixtures.NewStoreAsync(StoreProvider.Sqlite);
        for (var i = 0; i < 4; i++)
        {
            await store.SaveFeatureCheckpointAsync(Checkpoint("w" + i, 1000 + i), keep: 2);
        }

        var headers = await store.ListFeatureCheckpointsAsync();
        Assert.Equal(["w3", "w2"], headers.Select(h => h.Writer));
        Assert.Equal(1003, (await store.GetFeatureCheckpointAsync(headers[0].Seq))!.State.Length);

        await using var inStore = new SqliteConnection($"Data Source={store.Location.Target};Pooling=False");
        Assert.Equal(0, await inStore.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM feature_checkpoints"));
        await using var inFile = new SqliteConnection($"Data Source={store.CheckpointFile};Pooling=False");
        Assert.Equal(2, await inFile.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM feature_checkpoints"));
    }

    [Fact]
    public async Task Checkpoints_a_store_kept_in_its_own_file_before_move_to_the_checkpoint_file_at_the_next_start()
    {
        var store = await StoreFixtures.NewStoreAsync(StoreProvider.Sqlite);
        await using (var legacy = new SqliteConnection($"Data Source={store.Location.Target};Pooling=False"))
        {
            foreach (var writer in (string[])["old-1", "old-2"])
            {
                await legacy.ExecuteAsync(
                    "INSERT INTO feature_checkpoints (created_at, writer, schema_version, transactions_offsets, labels_offsets, size_bytes, state) " +
                    "VALUES ('2026-12-01T00:00:00.0000000Z', @writer, 'fs-features-v2', '[1]', '[2]', 3, x'010203')", new { writer });
            }
        }

        var restarted = FraudStore.Open(store.Location);
        await restarted.MigrateAsync();

        var headers = await restarted.ListFeatureCheckpointsAsync();
        Assert.Equal(["old-2", "old-1"], headers.Select(h => h.Writer)); // newest first, as before the move
        Assert.Equal([1, 2, 3], (await restarted.GetFeatureCheckpointAsync(headers[0].Seq))!.State);
        await using var inStore = new SqliteConnection($"Data Source={store.Location.Target};Pooling=False");
        Assert.Equal(0, await inStore.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM feature_checkpoints"));
    }
}
