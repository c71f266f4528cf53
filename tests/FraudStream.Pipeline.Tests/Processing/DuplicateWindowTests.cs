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
    public void A_stored_id_at_its_own_position_is_a_redelivery_and_elsewhere_a_re_send()
    {
        var seed = new Dictionary<string, long>
        {
            ["stored"] = DuplicateWindow.Position(3, 41),
            ["other"] = DuplicateWindow.Position(3, 42),
        };
        var window = new DuplicateWindow(1000, seed);
        Assert.Equal(Sighting.Redelivered, window.See("stored", 3, 41, 7));
        Assert.Equal(Sighting.Resent, window.See("stored", 3, 41, 7)); // the second delivery in this run is a re-send
        Assert.Equal(Sighting.Resent, window.See("other", 4, 42, 7));
        Assert.Equal(Sighting.New, window.See("new", 3, 43, 7));
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
}
