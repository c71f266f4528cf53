using System.Net;
using FraudStream.Dashboard.Reviews;
using FraudStream.Dashboard.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudStream.Dashboard.Hosting;

/// <summary>
/// The dashboard on its own Kestrel, for a service that is a generic-host console app. Dispose to stop.
/// </summary>
public sealed class DashboardHost : IAsyncDisposable
{
    private readonly WebApplication? _app;

    private DashboardHost(WebApplication? app, Uri? address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Where the page is served, or null when the dashboard is disabled (port 0).</summary>
    public Uri? Address { get; }

    /// <summary>
    /// Validates the options and, unless the port is 0, starts listening. Throws
    /// <see cref="ArgumentException"/> for invalid options and <see cref="IOException"/> when the port is taken.
    /// </summary>
    public static async Task<DashboardHost> StartAsync(
        DashboardOptions options,
        DashboardState state,
        IReviewStore reviews,
        ILoggerFactory? loggerFactory,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.EnsureValid();
        if (!options.Enabled)
        {
            return new DashboardHost(null, null);
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DashboardHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (options.BindAddress == "localhost")
            {
                kestrel.ListenLocalhost(options.Port);
            }
            else
            {
                kestrel.Listen(IPAddress.Parse(options.BindAddress), options.Port);
            }
        });
        builder.Services.AddRouting();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(loggerFactory ?? NullLoggerFactory.Instance);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddFraudStreamDashboard(options, state, reviews);

        var app = builder.Build();
        app.MapFraudStreamDashboard();
        await app.StartAsync(cancellationToken);

        var host = options.BindAddress.Contains(':', StringComparison.Ordinal) ? $"[{options.BindAddress}]" : options.BindAddress;
        return new DashboardHost(app, new Uri($"http://{host}:{options.Port}/"));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
