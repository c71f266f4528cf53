using System.Data.Common;
using FraudStream.Storage;
using FraudStream.Storage.Records;

namespace FraudStream.Storage.Tests;

/// <summary>
/// One row the database refuses used to fail its whole batch, and the storage thread retried that batch for ever:
/// consumption stopped, and a restart read the same row again. The write now isolates it.
/// </summary>
public sealed class RefusedRowTests
{
    public static TheoryData<StoreProvider> Providers() => FraudStoreTests.Providers();

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_refused_decision_becomes_its_dead_letter_and_the_rest_of_the_batch_is_stored(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        var bad = await RefusableDecisionAsync(store, "tx-bad");
        var review = StoreFixtures.Decision("tx-review", Core.Contracts.DecisionKind.Review, 0.7);
        var letter = Letter(offset: 7, "invalid_json");
        var refused = new Recorder();
        using (var writer = await store.OpenOutcomeWriterAsync())
        {
            var inserted = writer.Write([StoreFixtures.Decision("tx-1"), bad, review], [letter], refused);
            Assert.Equal(2, inserted);
        }

        Assert.Equal(1, Assert.Single(refused.Decisions).Index);
        Assert.Equal(2, await store.CountDecisionsAsync());
        Assert.Null(await store.GetDecisionAsync("tx-bad"));
        Assert.NotNull(await store.GetDecisionAsync("tx-review"));
        Assert.Single(await store.GetOpenReviewsAsync(10));
        var letters = await store.GetDeadLettersAsync(10);
        Assert.Equal(["invalid_json", "store_refused"], letters.Select(d => d.Reason).Order(StringComparer.Ordinal));
        var stored = letters.Single(d => d.Reason == "store_refused");
        Assert.Equal(99, stored.SourceOffset);
        Assert.Contains(provider == StoreProvider.Postgres ? "22003" : "refused by the test", stored.Detail, StringComparison.Ordinal);
        Assert.Empty(refused.DeadLetters);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Without_someone_to_tell_a_refusal_fails_the_whole_batch(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        var bad = await RefusableDecisionAsync(store, "tx-bad");
        using (var writer = await store.OpenOutcomeWriterAsync())
        {
            Assert.ThrowsAny<DbException>(() => writer.Write([StoreFixtures.Decision("tx-1"), bad], []));
        }

        Assert.Equal(0, await store.CountDecisionsAsync());
    }

    /// <summary>
    /// A decision the store refuses, past the contract's own checks: on PostgreSQL an amount over NUMERIC(18, 2)
    /// (the real limit); SQLite has none for this schema, so a trigger refuses the id as a constraint would.
    /// </summary>
    private static async Task<DecisionRecord> RefusableDecisionAsync(FraudStore store, string id)
    {
        var decision = StoreFixtures.Decision(id);
        decision.SourceOffset = 99;
        if (store.Provider == StoreProvider.Postgres)
        {
            decision.Amount = 1e16m;
        }
        else
        {
            await using var connection = await store.OpenConnectionAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE TRIGGER refuse BEFORE INSERT ON decisions WHEN NEW.id = '{id}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END";
            await command.ExecuteNonQueryAsync();
        }

        return decision;
    }

    private static DeadLetterRecord Letter(long offset, string reason) => new()
    {
        SourceTopic = "transactions", SourcePartition = 0, SourceOffset = offset, Reason = reason, Detail = "d",
        Payload = [1, 2, 3], ReceivedAt = DateTime.UtcNow,
    };

    private sealed class Recorder : IRefusedRows
    {
        public List<(int Index, string Refusal)> Decisions { get; } = [];

        public List<DeadLetterRecord> DeadLetters { get; } = [];

        public DeadLetterRecord DecisionRefused(int index, string refusal)
        {
            Decisions.Add((index, refusal));
            var letter = Letter(offset: 99, "store_refused");
            letter.Detail = refusal;
            return letter;
        }

        public void DeadLetterRefused(DeadLetterRecord deadLetter, string refusal) => DeadLetters.Add(deadLetter);
    }
}
