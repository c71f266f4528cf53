using FraudStream.Dashboard.Metrics;
using FraudStream.Dashboard.Reviews;
using FraudStream.Dashboard.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Prometheus;

namespace FraudStream.Dashboard.Hosting;

public static class DashboardServiceCollectionExtensions
{
    /// <summary>
    /// Registers the dashboard with the state the pipeline publishes into and the review store.
    /// Throws <see cref="ArgumentException"/> when the options are invalid.
    /// </summary>
    public static IServiceCollection AddFraudStreamDashboard(
        this IServiceCollection services, DashboardOptions options, DashboardState state, IReviewStore reviews)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(reviews);
        services.AddSingleton(state);
        services.AddSingleton(reviews);
        return services.AddFraudStreamDashboard(options);
    }

    /// <summary>
    /// Registers the dashboard; <see cref="IReviewStore"/> must be registered by the caller, a
    /// <see cref="DashboardState"/> is added if none is, and a <see cref="CollectorRegistry"/> registered
    /// beforehand is used for /metrics (otherwise a registry of its own).
    /// </summary>
    public static IServiceCollection AddFraudStreamDashboard(this IServiceCollection services, DashboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        options.EnsureValid();

        services.AddSingleton(options);
        services.TryAddSingleton<DashboardState>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => Prometheus.Metrics.NewCustomRegistry());
        services.TryAddSingleton(sp => new DashboardMetrics(sp.GetRequiredService<CollectorRegistry>(), options.TargetMs));
        services.AddHostedService<DashboardMetricsFeeder>();
        return services;
    }
}
