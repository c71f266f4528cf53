using System.Net;
using FraudStream.Core.Telemetry;
using FraudStream.Dashboard.Feed;
using FraudStream.Dashboard.Metrics;
using FraudStream.Dashboard.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Prometheus;

namespace FraudStream.Dashboard.Hosting;

public static class DashboardRegistration
{
    /// <summary>
    /// The dashboard in this web application: Kestrel on <c>Dashboard:Port</c> and <c>Dashboard:BindAddress</c>
    /// (section <c>Dashboard</c>, validated when Kestrel reads them as the application is built, and at start), the state the <see cref="ITelemetryFeed"/> publishes into, and
    /// /metrics. The caller registers the <see cref="Reviews.IReviewStore"/> and the <see cref="LatencyTarget"/>, and
    /// maps the endpoints with <see cref="DashboardEndpoints.MapFraudStreamDashboard"/> once the application is built.
    /// A <see cref="CollectorRegistry"/> registered beforehand is used for /metrics (otherwise one of its own).
    /// </summary>
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WebHost.UseKestrelCore();
        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<DashboardOptions>>((kestrel, dashboard) => Listen(kestrel, dashboard.Value));
        builder.Services.AddRouting();
        builder.Services.AddSingleton<IStartupFilter, HostHeaderCheck>();
        builder.Services.AddSingleton<IStartupFilter, ReadAccessCheck>();

        builder.Services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DashboardOptions>, DashboardOptionsValidator>();
        builder.Services.TryAddSingleton<DashboardState>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton(_ => Prometheus.Metrics.NewCustomRegistry());
        builder.Services.TryAddSingleton(sp => new DashboardMetrics(
            sp.GetRequiredService<CollectorRegistry>(), sp.GetRequiredService<LatencyTarget>().Milliseconds));
        builder.Services.AddHostedService<DashboardMetricsFeeder>();
        builder.Services.AddSingleton<ITelemetryFeed, DashboardFeed>();
        return builder;
    }

    private static void Listen(KestrelServerOptions kestrel, DashboardOptions dashboard)
    {
        kestrel.AddServerHeader = false;
        if (dashboard.BindAddress == "localhost")
        {
            kestrel.ListenLocalhost(dashboard.Port);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(dashboard.BindAddress), dashboard.Port);
        }
    }
}
