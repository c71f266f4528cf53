using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Hosting;
using FraudStream.Pipeline.State;
using FraudStream.Service.Demo;
using FraudStream.Service.Hosting;
using FraudStream.Service.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FraudStream.Service.Tests.Dashboard;

/// <summary>
/// Dashboard settings as `serve` reads them: every invalid one stops the service at start with a message naming
/// it. In a collection of its own, run alone: one test sets a process environment variable.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class ServiceHostConfigurationTests
{
    private static ServeSettings Settings(int? dashboardPort = 0, string? reviewToken = null) => new()
    {
        Bootstrap = "127.0.0.1:1",
        Database = "sqlite:" + Path.Combine(Directory.CreateTempSubdirectory("fs-host-").FullName, "store.db"),
        DashboardPort = dashboardPort,
        ReviewToken = reviewToken,
        TargetMs = 45,
        TokenKey = TestServeSettings.TokenKey,
    };

    [Fact]
    public void With_a_dashboard_port_one_web_application_holds_the_decision_service_and_the_dashboard_endpoints()
    {
        using var host = FraudStreamHost.Build(Settings(FreePort()));

        var app = Assert.IsType<WebApplication>(host);
        Assert.NotNull(app.Services.GetService<IServer>());
        Assert.Contains(app.Services.GetServices<IHostedService>(), s => s is DecisionService);
        var routes = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText).ToList();
        Assert.Contains("/api/config", routes);
        Assert.Contains("/metrics", routes);
    }

    [Fact]
    public void The_one_process_demo_has_defaults_of_its_own_for_the_embedded_broker_that_the_environment_overrides()
    {
        // The one-process demo's broker is embedded and dies with the service: no guard, the embedded broker's fetch
        // wait; defaults below appsettings and the environment.
        var settings = Settings() with { Defaults = DemoRunner.OneProcessDefaults };
        using (var host = FraudStreamHost.Build(settings))
        {
            Assert.False(host.Services.GetRequiredService<IOptions<CheckpointOptions>>().Value.GuardRetention);
            Assert.Equal(KafkaClients.EmbeddedFetchWaitMaxMs, host.Services.GetRequiredService<IOptions<DecisionServiceOptions>>().Value.FetchWaitMaxMs);
        }

        using (var serve = FraudStreamHost.Build(Settings()))
        {
            Assert.True(serve.Services.GetRequiredService<IOptions<CheckpointOptions>>().Value.GuardRetention);
            Assert.Equal(KafkaClients.DefaultFetchWaitMaxMs, serve.Services.GetRequiredService<IOptions<DecisionServiceOptions>>().Value.FetchWaitMaxMs);
        }

        Environment.SetEnvironmentVariable("FRAUDSTREAM_Checkpoints__GuardRetention", "true");
        try
        {
            using var host = FraudStreamHost.Build(settings);
            Assert.True(host.Services.GetRequiredService<IOptions<CheckpointOptions>>().Value.GuardRetention);
        }
        finally
        {
            Environment.SetEnvironmentVariable("FRAUDSTREAM_Checkpoints__GuardRetention", null);
        }
    }

    [Fact]
    public void With_dashboard_port_0_nothing_listens_the_host_has_no_web_server()
    {
        using var host = FraudStreamHost.Build(Settings(0));

        Assert.IsNotType<WebApplication>(host);
        Assert.Null(host.Services.GetService<IServer>());
        Assert.Contains(host.Services.GetServices<IHostedService>(), s => s is DecisionService);
    }

    [Theory]
    [InlineData(70000, null, "Dashboard:Port")]
    [InlineData(-1, null, "Dashboard:Port")]
    [InlineData(18088, "short", "Dashboard:ReviewToken")]
    [InlineData(18088, "has whitespace inside it", "Dashboard:ReviewToken")]
    public async Task An_invalid_dashboard_setting_stops_the_host_at_start_with_a_message_naming_it(int port, string? token, string setting)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAndStopAsync(Settings(port, token)));
        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_dashboard_latency_target_is_refused_instead_of_silently_replaced_by_Decisions_TargetMs()
    {
        Environment.SetEnvironmentVariable("FRAUDSTREAM_Dashboard__TargetMs", "30");
        try
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAndStopAsync(Settings(18089)));
            Assert.Contains("Dashboard:TargetMs", error.Message, StringComparison.Ordinal);
            Assert.Contains("Decisions:TargetMs", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("FRAUDSTREAM_Dashboard__TargetMs", null);
        }
    }

    [Fact]
    public async Task Serve_prints_the_invalid_dashboard_setting_and_exits_with_2()
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "fraudstream.dll")}\" serve --bootstrap 127.0.0.1:1 " +
            $"--db sqlite:{Path.Combine(Directory.CreateTempSubdirectory("fs-serve-").FullName, "store.db")} --dashboard-port 70000")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        using var serve = Process.Start(psi)!;
        var output = serve.StandardOutput.ReadToEndAsync();
        var errors = await serve.StandardError.ReadToEndAsync();
        await serve.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, serve.ExitCode);
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("configuration error: ", line, StringComparison.Ordinal);
        Assert.Contains("Dashboard:Port", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", await output + errors, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task StartAndStopAsync(ServeSettings settings)
    {
        using var host = FraudStreamHost.Build(settings);
        await host.StartAsync();
        await host.StopAsync();
    }
}

/// <summary>Tests that change process-wide state (environment variables) run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment";
}
