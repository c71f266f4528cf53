using FraudStream.Pipeline.Processing;

namespace FraudStream.Pipeline.Tests.Processing;

public sealed class DuplicateWindowTests
{
    [Fact]
    public void An_id_is_new_once_and_a_duplicate_after()
    {
        var window = new DuplicateWindow(1000, new HashSet<string>());
        Assert.False(window.SeenBefore("a"));
        Assert.True(window.SeenBefore("a"));
        Assert.False(window.SeenBefore("b"));
    }

    [Fact]
    public void Ids_seeded_from_the_store_are_duplicates_from_the_start()
    {
        var window = new DuplicateWindow(1000, new HashSet<string> { "stored" });
        Assert.True(window.SeenBefore("stored"));
    }

    [Fact]
    public void The_oldest_id_is_forgotten_when_the_window_is_full()
    {
        var window = new DuplicateWindow(1000, new HashSet<string>());
        for (var i = 0; i < 1001; i++)
        {
            Assert.False(window.SeenBefore("id-" + i));
        }

        Assert.False(window.SeenBefore("id-0"));
        Assert.True(window.SeenBefore("id-1000"));
    }
}
