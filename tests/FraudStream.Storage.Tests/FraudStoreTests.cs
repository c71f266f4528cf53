using FraudStream.Core.Contracts;
using FraudStream.Storage;
using FraudStream.Storage.Records;
using FraudStream.Testing;

namespace FraudStream.Storage.Tests;

/// <summary>The same repository tests against SQLite and a real PostgreSQL.</summary>
public sealed class FraudStoreTests
{
    /// <summary>SQLite always; PostgreSQL when it can be started (always under CI, where its absence fails the tests).</summary>
    public static TheoryData<StoreProvider> Providers()
    {
        var data = new TheoryData<StoreProvider> { StoreProvider.Sqlite };
        if (PostgresServer.MissingReason is null || Prerequisites.InCi)
        {
            data.Add(StoreProvider.Postgres);
        }

        return data;
    }

    [PostgresFact]
    public void PostgreSQL_is_available_for_the_store_tests() => Assert.NotNull(PostgresServer.Instance.CreateDatabase());

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Migrations_apply_once_and_are_recorded(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        var again = await store.MigrateAsync();
        Assert.Empty(again);
        Assert.Equal(0, await store.CountDecisionsAsync());
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_transaction_id_is_stored_once_and_a_duplicate_is_reported(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        var first = await StoreFixtures.WriteAsync(store, StoreFixtures.Decision("tx-1"), StoreFixtures.Decision("tx-2"));
        var second = await StoreFixtures.WriteAsync(store, StoreFixtures.Decision("tx-2"), StoreFixtures.Decision("tx-3"));
        Assert.Equal(2, first);
        Assert.Equal(1, second);
        Assert.Equal(3, await store.CountDecisionsAsync());
        var stored = await store.GetDecisionAsync("tx-1");
        Assert.NotNull(stored);
        Assert.Equal(12.34m, stored.Amount);
        Assert.Equal("card-1", stored.Card);
        Assert.Equal(52.5, stored.Lat);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Every_decision_column_reads_back_as_the_writer_stored_it(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        var written = StoreFixtures.Decision("tx-all", DecisionKind.Decline, 0.93);
        written.Channel = PaymentChannel.Atm.ToWire();
        written.ModelVersion = "model-7";
        written.RulesetVersion = "rules-9";
        written.DecidedAt = new DateTime(2026, 11, 1, 12, 0, 3, 250, DateTimeKind.Utc);
        written.LatencyUs = 4321;
        written.SourcePartition = 5;
        written.SourceOffset = 77;
        Assert.Equal(1, await StoreFixtures.WriteAsync(store, written));

        var stored = await store.GetDecisionAsync("tx-all");
        Assert.NotNull(stored);
        Assert.Equal(
            (written.Id, written.Card, written.Merchant, written.Category, written.Amount, written.Currency, written.Country),
            (stored.Id, stored.Card, stored.Merchant, stored.Category, stored.Amount, stored.Currency, stored.Country));
        Assert.Equal((written.Lat, written.Lon, written.Device, written.Channel), (stored.Lat, stored.Lon, stored.Device, stored.Channel));
        Assert.Equal((written.Decision, written.Score, written.Reasons), (stored.Decision, stored.Score, stored.Reasons));
        Assert.Equal(["velocity", "model.review"], StoredReasons.Split(stored.Reasons));
        Assert.Equal((written.ModelVersion, written.RulesetVersion), (stored.ModelVersion, stored.RulesetVersion));
        Assert.Equal((written.EventTs.Ticks, written.DecidedAt.Ticks), (stored.EventTs.ToUniversalTime().Ticks, stored.DecidedAt.ToUniversalTime().Ticks));
        Assert.Equal((written.LatencyUs, written.SourcePartition, written.SourceOffset), (stored.LatencyUs, stored.SourcePartition, stored.SourceOffset));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Reviews_open_a_queue_item_that_an_analyst_marks_once_as_a_label(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        await StoreFixtures.WriteAsync(store, StoreFixtures.Decision("tx-r", DecisionKind.Review, 0.7), StoreFixtures.Decision("tx-a"));
        var open = await store.GetOpenReviewsAsync(10);
        Assert.Equal("tx-r", Assert.Single(open).Id);

        Assert.Equal(ReviewMarkOutcome.Marked, await store.MarkReviewAsync("tx-r", fraud: true, "alice", DateTime.UtcNow));
        Assert.Equal(ReviewMarkOutcome.AlreadyMarked, await store.MarkReviewAsync("tx-r", fraud: false, "bob", DateTime.UtcNow));
        Assert.Equal(ReviewMarkOutcome.NotFound, await store.MarkReviewAsync("tx-a", fraud: true, "alice", DateTime.UtcNow));
        Assert.Empty(await store.GetOpenReviewsAsync(10));
        var labeled = await store.GetLabeledDecisionsAsync();
        Assert.True(labeled.Single(d => d.Id == "tx-r").Fraud);
        Assert.Null(labeled.Single(d => d.Id == "tx-a").Fraud);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Dead_letters_keep_the_original_bytes_and_are_stored_once_per_source_offset(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        byte[] payload = [0xff, 0xfe, (byte)'{'];
        var record = new DeadLetterRecord
        {
            SourceTopic = "transactions", SourcePartition = 3, SourceOffset = 42, Reason = "invalid_utf8",
            Detail = "payload is not valid UTF-8", Payload = payload, ReceivedAt = DateTime.UtcNow,
        };
        using (var writer = await store.OpenOutcomeWriterAsync())
        {
            writer.Write([], [record]);
            writer.Write([], [record]);
        }

        Assert.Equal(1, await store.CountDeadLettersAsync());
        var stored = Assert.Single(await store.GetDeadLettersAsync(10));
        Assert.Equal(payload, stored.Payload);
        Assert.Equal("invalid_utf8", stored.Reason);
        Assert.Equal(42, stored.SourceOffset);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_later_label_for_the_same_transaction_replaces_the_earlier_one(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        await StoreFixtures.WriteAsync(store, StoreFixtures.Decision("tx-l"));
        await StoreFixtures.WriteLabelsAsync(store, new LabelRecord { Id = "tx-l", Fraud = false, ReportedAt = DateTime.UtcNow });
        await StoreFixtures.WriteLabelsAsync(store, new LabelRecord { Id = "tx-l", Fraud = true, ReportedAt = DateTime.UtcNow });
        Assert.True(Assert.Single(await store.GetLabeledDecisionsAsync()).Fraud);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Recent_ids_come_back_newest_first_for_the_duplicate_window(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        var older = StoreFixtures.Decision("tx-old");
        older.DecidedAt = DateTime.UtcNow.AddMinutes(-5);
        await StoreFixtures.WriteAsync(store, older, StoreFixtures.Decision("tx-new"));
        var ids = await store.RecentDecisionIdsAsync(1);
        Assert.Equal("tx-new", Assert.Single(ids));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Latency_seconds_are_upserted_by_second(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        var second = new DateTime(2026, 11, 1, 0, 0, 1, DateTimeKind.Utc);
        await store.InsertLatencySecondsAsync([new LatencySecondRecord { Second = second, Count = 5, P50Us = 10, P99Us = 20, MaxUs = 30, WithinTarget = 1 }]);
        await store.InsertLatencySecondsAsync([new LatencySecondRecord { Second = second, Count = 7, P50Us = 11, P99Us = 21, MaxUs = 31, WithinTarget = 0.5 }]);
        await using var connection = await store.OpenConnectionAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count FROM latency_seconds";
        Assert.Equal(7L, Convert.ToInt64(await cmd.ExecuteScalarAsync()));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_outcome_writer_stores_a_batch_once_with_its_reviews_dead_letters_and_labels(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        var dead = new DeadLetterRecord
        {
            SourceTopic = "transactions", SourcePartition = 1, SourceOffset = 7, Reason = "invalid_json",
            Detail = "bad", Payload = [0x7b, 0x00], ReceivedAt = DateTime.UtcNow,
        };
        using (var writer = await store.OpenOutcomeWriterAsync())
        {
            var noDevice = StoreFixtures.Decision("tx-w2", DecisionKind.Review, null);
            noDevice.Device = null;
            noDevice.Lat = null;
            Assert.Equal(2, writer.Write([StoreFixtures.Decision("tx-w1"), noDevice], [dead]));
            Assert.Equal(1, writer.Write([StoreFixtures.Decision("tx-w2"), StoreFixtures.Decision("tx-w3")], [dead]));
            writer.WriteLabels([new LabelRecord { Id = "tx-w1", Fraud = false, ReportedAt = DateTime.UtcNow }], []);
            writer.WriteLabels([new LabelRecord { Id = "tx-w1", Fraud = true, ReportedAt = DateTime.UtcNow }], []);
        }

        Assert.Equal(3, await store.CountDecisionsAsync());
        Assert.Equal(1, await store.CountDeadLettersAsync());
        var stored = await store.GetDecisionAsync("tx-w1");
        Assert.NotNull(stored);
        Assert.Equal(12.34m, stored.Amount);
        Assert.Equal(52.5, stored.Lat);
        var review = await store.GetDecisionAsync("tx-w2");
        Assert.NotNull(review);
        Assert.Null(review.Score);
        Assert.Null(review.Lat);
        Assert.Null(review.Device);
        Assert.Equal(DecisionKind.Review.ToWire(), review.Decision);
        Assert.Equal("tx-w2", Assert.Single(await store.GetOpenReviewsAsync(10)).Id);
        Assert.Equal(new byte[] { 0x7b, 0x00 }, Assert.Single(await store.GetDeadLettersAsync(10)).Payload);
        Assert.True((await store.GetLabeledDecisionsAsync()).Single(d => d.Id == "tx-w1").Fraud);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_label_redelivered_late_never_overwrites_a_newer_verdict(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        await StoreFixtures.WriteAsync(store, StoreFixtures.Decision("tx-a"), StoreFixtures.Decision("tx-b"));
        var earlier = new DateTime(2026, 11, 2, 8, 0, 0, DateTimeKind.Utc);
        var later = earlier.AddHours(3).AddTicks(5);

        await StoreFixtures.WriteLabelsAsync(store, new LabelRecord { Id = "tx-a", Fraud = true, ReportedAt = later });
        await StoreFixtures.WriteLabelsAsync(store, new LabelRecord { Id = "tx-a", Fraud = false, ReportedAt = earlier });
        using (var writer = await store.OpenOutcomeWriterAsync())
        {
            Assert.Equal(1, writer.WriteLabels([new LabelRecord { Id = "tx-b", Fraud = true, ReportedAt = later }], []));
            Assert.Equal(0, writer.WriteLabels([new LabelRecord { Id = "tx-b", Fraud = false, ReportedAt = earlier }], []));
        }

        var labeled = await store.GetLabeledDecisionsAsync();
        Assert.True(labeled.Single(d => d.Id == "tx-a").Fraud);
        Assert.True(labeled.Single(d => d.Id == "tx-b").Fraud);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_redelivery_decided_review_opens_no_item_against_a_stored_approve(StoreProvider provider)
    {
        var store = await StoreFixtures.NewStoreAsync(provider);
        await StoreFixtures.WriteAsync(store, StoreFixtures.Decision("tx-r1", DecisionKind.Approve));
        using (var writer = await store.OpenOutcomeWriterAsync())
        {
            writer.Write([StoreFixtures.Decision("tx-r2", DecisionKind.Approve)], []);
            Assert.Equal(0, writer.Write([StoreFixtures.Decision("tx-r2", DecisionKind.Review)], []));
        }

        Assert.Equal(0, await StoreFixtures.WriteAsync(store, StoreFixtures.Decision("tx-r1", DecisionKind.Review)));
        Assert.Empty(await store.GetOpenReviewsAsync(10));
        Assert.Equal(DecisionKind.Approve.ToWire(), (await store.GetDecisionAsync("tx-r1"))!.Decision);
    }

    [PostgresFact]
    public async Task On_PostgreSQL_a_batch_whose_dead_letter_fails_stores_none_of_its_decisions()
    {
        var store = await StoreFixtures.NewStoreAsync(StoreProvider.Postgres);
        var refused = new DeadLetterRecord
        {
            SourceTopic = "transactions", SourcePartition = 0, SourceOffset = 9, Reason = "invalid_json",
            Detail = "PostgreSQL refuses \0 in text", Payload = [1], ReceivedAt = DateTime.UtcNow,
        };
        using var writer = await store.OpenOutcomeWriterAsync();

        Assert.ThrowsAny<Exception>(() => writer.Write([StoreFixtures.Decision("tx-atomic")], [refused]));
        Assert.Equal(0, await store.CountDecisionsAsync());

        refused.Detail = "stored";
        Assert.Equal(1, writer.Write([StoreFixtures.Decision("tx-atomic")], [refused]));
        Assert.Equal(1, await store.CountDeadLettersAsync());
    }
}
