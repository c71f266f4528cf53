using FraudStream.Dashboard.State;
using FraudStream.Dashboard.Tests.Support;

namespace FraudStream.Dashboard.Tests.Unit;

public sealed class DashboardStateTests
{
    [Fact]
    public void Publish_stamps_increasing_sequences_and_keeps_the_latest()
    {
        var state = new DashboardState();
        Assert.Null(state.Latest);

        var first = state.Publish(TestSnapshots.Create(0));
        var second = state.Publish(TestSnapshots.Create(1));

        Assert.Equal(1, first.Sequence);
        Assert.Equal(2, second.Sequence);
        Assert.Same(second, state.Latest);
    }

    [Fact]
    public void History_is_bounded_by_its_capacity_and_ordered_oldest_first()
    {
        var state = new DashboardState(historyCapacity: 5);
        for (var step = 0; step < 12; step++)
        {
            state.Publish(TestSnapshots.Create(step));
        }

        var history = state.GetHistory(TimeSpan.FromHours(1));
        Assert.Equal([8L, 9, 10, 11, 12], history.Select(s => s.Sequence));
        Assert.Equal([11L, 12], state.GetSince(10).Select(s => s.Sequence));
    }

    [Fact]
    public void History_window_is_measured_back_from_the_newest_timestamp()
    {
        var state = new DashboardState();
        for (var step = 0; step < 20; step++)
        {
            state.Publish(TestSnapshots.Create(step));
        }

        Assert.Equal(3, state.GetHistory(TimeSpan.FromSeconds(3)).Count);
    }

    [Fact]
    public async Task Waiting_for_a_newer_snapshot_completes_when_one_is_published()
    {
        var state = new DashboardState();
        state.Publish(TestSnapshots.Create(0));
        Assert.True(state.WaitForNewerAsync(0, CancellationToken.None).IsCompleted);

        var waiting = state.WaitForNewerAsync(1, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        state.Publish(TestSnapshots.Create(1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(waiting.IsCompletedSuccessfully);
    }

    [Fact]
    public void Cards_and_messages_that_look_like_card_numbers_are_masked_on_publish()
    {
        var state = new DashboardState();
        var stored = state.Publish(TestSnapshots.Create(0));

        Assert.Equal("••••1111", stored.RecentDeclines[0].Card);
        Assert.DoesNotContain("4111 1111 1111 1111", stored.Rules.ReloadErrors[0].Message, StringComparison.Ordinal);
        Assert.EndsWith("near card ••••1111", stored.Rules.ReloadErrors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Raw_stage_values_are_kept_only_for_the_newest_minute_of_history()
    {
        var state = new DashboardState();
        for (var step = 0; step < DashboardState.RawValuesRetention + 10; step++)
        {
            state.Publish(TestSnapshots.Create(step));
        }

        var history = state.GetHistory(TimeSpan.FromHours(1));
        Assert.All(history.Take(10), s => Assert.All(s.Stages, stage => Assert.Empty(stage.Values)));
        Assert.All(history.Skip(10), s => Assert.All(s.Stages, stage => Assert.Equal(2, stage.Values.Count)));
        Assert.All(history, s => Assert.Equal(Core.Latency.StageNames.Count, s.Stages.Count));
    }
}
