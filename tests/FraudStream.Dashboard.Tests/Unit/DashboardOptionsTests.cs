using FraudStream.Core.Telemetry;
using FraudStream.Dashboard.Hosting;
using FraudStream.Dashboard.Reviews;
using FraudStream.Dashboard.Tests.TestDoubles;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FraudStream.Dashboard.Tests.Unit;

public sealed class DashboardOptionsTests
{
    private static readonly DashboardOptionsValidator Validator = new();

    [Fact]
    public void Defaults_bind_to_loopback_and_refuse_marking()
    {
        var options = new DashboardOptions { Port = 8088 };
        Assert.Equal("127.0.0.1", options.BindAddress);
        Assert.False(options.MarkingEnabled);
        Assert.True(Validator.Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData(-1, "127.0.0.1", null, null, "Dashboard:Port")]
    [InlineData(70000, "127.0.0.1", null, null, "Dashboard:Port")]
    [InlineData(8088, "not-an-address", null, null, "Dashboard:BindAddress")]
    [InlineData(8088, "127.0.0.1", "short", null, "Dashboard:ReviewToken")]
    [InlineData(8088, "127.0.0.1", "has whitespace inside it", null, "Dashboard:ReviewToken")]
    [InlineData(8088, "127.0.0.1", null, 50.0, "Dashboard:TargetMs")]
    public void Each_invalid_setting_is_rejected_by_its_configuration_name(int port, string bind, string? token, double? targetMs, string setting)
    {
        var options = new DashboardOptions { Port = port, BindAddress = bind, ReviewToken = token, TargetMs = targetMs };
        var result = Validator.Validate(null, options);
        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith(setting + " ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Bound_beyond_loopback_a_dashboard_without_any_token_is_refused()
    {
        var result = Validator.Validate(null, new DashboardOptions { Port = 8088, BindAddress = "0.0.0.0" });
        Assert.StartsWith("Dashboard:ReadToken (or Dashboard:ReviewToken) is required", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("change-this-review-token-now")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("abababababababababab")]
    public void Bound_beyond_loopback_a_placeholder_or_trivial_token_is_refused(string token)
    {
        Assert.True(Validator.Validate(null, new DashboardOptions { Port = 8088, BindAddress = "127.0.0.1", ReviewToken = token }).Succeeded);
        var review = Validator.Validate(null, new DashboardOptions { Port = 8088, BindAddress = "0.0.0.0", ReviewToken = token });
        Assert.StartsWith("Dashboard:ReviewToken is a placeholder", Assert.Single(review.Failures!), StringComparison.Ordinal);
        var read = Validator.Validate(null, new DashboardOptions { Port = 8088, BindAddress = "10.1.2.3", ReadToken = token });
        Assert.StartsWith("Dashboard:ReadToken is a placeholder", Assert.Single(read.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void The_read_token_is_needed_only_beyond_loopback_and_falls_back_to_the_review_token()
    {
        const string Review = "4f1c9e2ab7d35e8c06a9b1f2";
        const string Read = "9c2e71d4a05fb3e86d1a7c40";
        Assert.Null(new DashboardOptions { ReviewToken = Review, ReadToken = Read }.EffectiveReadToken);
        Assert.Null(new DashboardOptions { BindAddress = "localhost", ReviewToken = Review }.EffectiveReadToken);
        Assert.Equal(Review, new DashboardOptions { BindAddress = "0.0.0.0", ReviewToken = Review }.EffectiveReadToken);
        Assert.Equal(Read, new DashboardOptions { BindAddress = "0.0.0.0", ReviewToken = Review, ReadToken = Read }.EffectiveReadToken);
        Assert.True(Validator.Validate(null, new DashboardOptions { Port = 8088, BindAddress = "0.0.0.0", ReadToken = Read }).Succeeded);
    }

    [Fact]
    public void A_dashboard_latency_target_points_at_the_one_setting_there_is()
    {
        var result = Validator.Validate(null, new DashboardOptions { Port = 8088, TargetMs = 30 });
        Assert.Contains("Decisions:TargetMs (--target-ms)", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("0", false)]
    [InlineData("8088", true)]
    [InlineData("-1", true)]
    [InlineData("eighty", true)]
    public void A_dashboard_is_requested_by_any_port_but_zero(string? port, bool requested)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Dashboard:Port"] = port }).Build();
        Assert.Equal(requested, DashboardOptions.IsRequestedIn(configuration));
    }

    [Fact]
    public async Task Invalid_settings_fail_before_anything_listens_with_every_setting_named_in_one_line()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dashboard:Port"] = "70000",
            ["Dashboard:BindAddress"] = "nowhere",
        });
        builder.Services.AddSingleton<IReviewStore>(new InMemoryReviewStore());
        builder.Services.AddSingleton(new LatencyTarget(50));
        builder.AddDashboard();

        // Kestrel reads the settings when the application is built; nothing has started or listened by then.
        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = builder.Build();
            app.MapFraudStreamDashboard();
            await app.StartAsync();
        });
        Assert.Contains("Dashboard:Port", error.Message, StringComparison.Ordinal);
        Assert.Contains("Dashboard:BindAddress", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }
}
