using FraudStream.Pipeline.Processing;

namespace FraudStream.Pipeline.Tests.Processing;

public sealed class DuplicateWindowTests
{
    private static readonly Dictionary<string, long> NoSeed = [];

    [Fact]
    public void An_id_seen_again_is_a_re_send()
    {
        var window = new DuplicateWindow(1000, NoSeed);
        Assert.Equal(Sighting.New, window.See("a", 0, 1, 7));
        Assert.Equal(Sighting.Resent, window.See("a", 0, 2, 7));
        Assert.Equal(Sighting.New, window.See("b", 0, 3, 7));
    }

    [Fact]
    public void A_stored_id_at_its_own_position_is_a_redelivery_elsewhere_in_its_partition_a_re_send_and_in_another_a_conflict()
    {
        var seed = new Dictionary<string, long>
        {
            ["stored"] = DuplicateWindow.Position(3, 41),
            ["other"] = DuplicateWindow.Position(3, 42),
        };
        var window = new DuplicateWindow(1000, seed);
        Assert.Equal(Sighting.Redelivered, window.See("stored", 3, 41, 7));
        Assert.Equal(Sighting.Resent, window.See("stored", 3, 41, 7)); // the second delivery in this run is a re-send
        Assert.Equal(Sighting.Resent, window.See("other", 3, 50, 7));
        Assert.Equal(Sighting.New, window.See("new", 3, 43, 7));
        var fresh = new DuplicateWindow(1000, seed);
        Assert.Equal(Sighting.Conflicting, fresh.See("other", 4, 42, 7)); // another partition: another card
    }

    [Fact]
    public void An_id_seen_again_with_other_content_conflicts()
    {
        var window = new DuplicateWindow(1000, NoSeed);
        Assert.Equal(Sighting.New, window.See("a", 0, 1, fingerprint: 11));
        Assert.Equal(Sighting.Conflicting, window.See("a", 0, 2, fingerprint: 12));
        Assert.Equal(Sighting.Resent, window.See("a", 0, 3, fingerprint: 11)); // the first content is the one remembered
    }

    [Fact]
    public void Positions_of_different_partitions_or_offsets_differ()
    {
        Assert.NotEqual(DuplicateWindow.Position(1, 5), DuplicateWindow.Position(2, 5));
        Assert.NotEqual(DuplicateWindow.Position(1, 5), DuplicateWindow.Position(1, 6));
        Assert.NotEqual(DuplicateWindow.Position(0, 1L << 40), DuplicateWindow.Position(0, 0));
    }

    [Fact]
    public void The_oldest_id_leaves_when_the_window_is_full()
    {
        var window = new DuplicateWindow(1000, NoSeed);
        for (var i = 0; i <= 1000; i++)
        {
            Assert.Equal(Sighting.New, window.See("id-" + i, 0, i, 7));
        }

        Assert.Equal(Sighting.New, window.See("id-0", 0, 2000, 7));
        Assert.Equal(Sighting.Resent, window.See("id-1000", 0, 2001, 7));
    }

    [Fact]
    public void The_registry_catches_an_id_reused_from_another_partition_and_passes_its_own_partition()
    {
        var ids = new IdRegistry(1 << 12);
        Assert.True(ids.TryRecord("tx-1", 0));
        Assert.True(ids.TryRecord("tx-1", 0)); // the same partition again: the worker's window judges it
        Assert.False(ids.TryRecord("tx-1", 3));
        Assert.True(ids.TryRecord("tx-2", 3));
        Assert.False(ids.TryRecord("tx-1", 5)); // the first record is kept
    }

    [Fact]
    public void The_registry_forgets_old_ids_and_keeps_recent_ones_when_full()
    {
        var ids = new IdRegistry(1 << 10);
        for (var i = 0; i < 100_000; i++)
        {
            Assert.True(ids.TryRecord("old-" + i, 1));
        }

        var caught = 0;
        for (var i = 0; i < 200; i++)
        {
            Assert.True(ids.TryRecord("recent-" + i, 1));
        }

        for (var i = 0; i < 200; i++)
        {
            caught += ids.TryRecord("recent-" + i, 2) ? 0 : 1;
        }

        Assert.True(caught >= 190, $"only {caught} of 200 recent ids caught"); // a few may share a full bucket
        Assert.True(ids.TryRecord("old-0", 2)); // long gone
    }
}
