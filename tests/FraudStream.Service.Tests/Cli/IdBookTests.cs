using FraudStream.Service.Demo;

namespace FraudStream.Service.Tests.Cli;

public sealed class IdBookTests
{
    [Fact]
    public void Simulator_ids_and_any_other_ids_keep_their_values_and_are_all_enumerated_once()
    {
        var book = new IdBook<int>(expected: 4);
        var ids = new List<string>();
        for (var i = 0; i < 5000; i++)
        {
            ids.Add("tx-42-" + i);
        }

        ids.AddRange(["warmup-tx-7-3", "tx-42-007", "tx-42-", "plain", "tx-42-99999999999", "-5", "tx-42-x1", "tx-43-0"]);
        for (var i = 0; i < ids.Count; i++)
        {
            book.Set(ids[i], i);
        }

        book.Set("tx-42-10", -1); // overwritten, not counted twice
        Assert.Equal(ids.Count, book.Count);
        Assert.True(book.TryGetValue("tx-42-10", out var ten));
        Assert.Equal(-1, ten);
        Assert.True(book.TryGetValue("tx-42-007", out var padded)); // not the same id as tx-42-7
        Assert.Equal(5001, padded);
        Assert.True(book.TryGetValue("tx-42-7", out var seven));
        Assert.Equal(7, seven);
        Assert.False(book.TryGetValue("tx-42-5000", out _));
        Assert.False(book.TryGetValue("tx-44-1", out _));

        var all = book.All().ToDictionary(e => e.Id, e => e.Value, StringComparer.Ordinal);
        Assert.Equal(ids.Count, all.Count);
        Assert.Equal(ids.ToHashSet(StringComparer.Ordinal), all.Keys.ToHashSet(StringComparer.Ordinal));
        Assert.Equal(5003, all["plain"]);
    }

    [Fact]
    public void A_copy_does_not_change_with_its_original()
    {
        var book = new IdBook<bool>();
        book.Set("tx-1-1", true);
        var copy = book.Copy();
        book.Set("tx-1-1", false);
        book.Set("tx-1-2", true);
        Assert.True(copy.TryGetValue("tx-1-1", out var value) && value);
        Assert.False(copy.TryGetValue("tx-1-2", out _));
        Assert.Equal(1, copy.Count);
    }
}
