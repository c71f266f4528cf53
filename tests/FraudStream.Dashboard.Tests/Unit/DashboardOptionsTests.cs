using FraudStream.Dashboard.Hosting;
using FraudStream.Dashboard.State;
using FraudStream.Dashboard.Tests.TestDoubles;

namespace FraudStream.Dashboard.Tests.Unit;

public sealed class DashboardOptionsTests
{
    [Fact]
    public void Defaults_bind_to_loopback_and_refuse_marking()
    {
        var options = new DashboardOptions { Port = 8088 };
        Assert.Equal("127.0.0.1", options.BindAddress);
        Assert.False(options.MarkingEnabled);
        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData(-1, "127.0.0.1", 50, null)]
    [InlineData(70000, "127.0.0.1", 50, null)]
    [InlineData(8088, "not-an-address", 50, null)]
    [InlineData(8088, "127.0.0.1", 0, null)]
    [InlineData(8088, "127.0.0.1", double.NaN, null)]
    [InlineData(8088, "127.0.0.1", 50, "short")]
    [InlineData(8088, "127.0.0.1", 50, "has whitespace inside it")]
    public void Invalid_options_are_rejected_with_a_reason(int port, string bind, double targetMs, string? token)
    {
        var options = new DashboardOptions { Port = port, BindAddress = bind, TargetMs = targetMs, ReviewToken = token };
        Assert.Single(options.Validate());
        Assert.Throws<ArgumentException>(options.EnsureValid);
    }

    [Fact]
    public async Task Port_zero_starts_nothing()
    {
        await using var host = await DashboardHost.StartAsync(
            new DashboardOptions { Port = 0 }, new DashboardState(), new InMemoryReviewStore(), null, CancellationToken.None);
        Assert.Null(host.Address);
    }

    [Fact]
    public async Task Starting_with_invalid_options_throws_before_listening()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => DashboardHost.StartAsync(
            new DashboardOptions { Port = 8088, TargetMs = -5 }, new DashboardState(), new InMemoryReviewStore(), null, CancellationToken.None));
    }
}
