using FraudStream.Core.Contracts;
using FraudStream.Pipeline.Hosting;

namespace FraudStream.Pipeline.Tests.Processing;

public sealed class EventTimeWindowTests
{
    private static readonly DateTime Now = new(2026, 12, 2, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void By_default_a_few_minutes_ahead_are_allowed_and_any_past()
    {
        var window = new EventTimeWindow(new DecisionServiceOptions());
        Assert.True(window.Admits(Now.AddSeconds(300), Now, "ts", out _));
        Assert.True(window.Admits(new DateTime(2014, 1, 1, 0, 0, 0, DateTimeKind.Utc), Now, "ts", out _));
        Assert.True(window.Admits(DateTime.MinValue, Now, "ts", out _));
        Assert.False(window.Admits(Now.AddSeconds(301), Now, "ts", out var error));
        Assert.Equal(DeadLetterReason.TimestampOutOfRange, error.Reason);
        Assert.Equal("timestamp_out_of_range", error.Reason.ToCode());
        Assert.Contains("ts 2026-12-02T10:05:01", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_end_of_time_is_refused()
    {
        var window = new EventTimeWindow(new DecisionServiceOptions());
        Assert.False(window.Admits(new DateTime(9999, 12, 31, 0, 0, 0, DateTimeKind.Utc), Now, "reported_at", out var error));
        Assert.StartsWith("reported_at 9999-12-31", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Both_limits_are_configurable()
    {
        var window = new EventTimeWindow(new DecisionServiceOptions { MaxFutureSkewSeconds = 0, MaxAgeDays = 30 });
        Assert.True(window.Admits(Now, Now, "ts", out _));
        Assert.False(window.Admits(Now.AddTicks(1), Now, "ts", out _));
        Assert.True(window.Admits(Now.AddDays(-30), Now, "ts", out _));
        Assert.False(window.Admits(Now.AddDays(-30).AddTicks(-1), Now, "ts", out var error));
        Assert.Contains("30 days before", error.Detail, StringComparison.Ordinal);
    }
}
