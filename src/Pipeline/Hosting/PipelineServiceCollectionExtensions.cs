using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;
using FraudStream.Pipeline.Latency;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FraudStream.Pipeline.Hosting;

public static class PipelineServiceCollectionExtensions
{
    /// <summary>
    /// Registers the decision service with its options (section <c>Decisions</c>, validated at start).
    /// Stages not registered before this call run degraded: no model → <c>model_unavailable</c>,
    /// no rules file → the model's thresholds decide. The latency target (<c>Decisions:TargetMs</c>) is registered as
    /// <see cref="LatencyTarget"/> for every reader; each <see cref="ITelemetryFeed"/> registered gets the snapshots.
    /// </summary>
    public static IServiceCollection AddDecisionService(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DecisionServiceOptions>()
            .Bind(configuration.GetSection(DecisionServiceOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<IScoringStage, ModelUnavailableScoring>();
        services.TryAddSingleton<IRulesStage, ThresholdOnlyRules>();
        services.AddSingleton(sp => new LatencyTarget(sp.GetRequiredService<IOptions<DecisionServiceOptions>>().Value.TargetMs));
        services.AddSingleton<PipelineTelemetry>();
        services.AddSingleton<DecisionService>();
        services.AddHostedService(sp => sp.GetRequiredService<DecisionService>());
        return services;
    }
}
