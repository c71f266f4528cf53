using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;
using FraudStream.Pipeline.Latency;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FraudStream.Pipeline.Hosting;

public static class PipelineServiceCollectionExtensions
{
    /// <summary>
    /// Registers the decision service with its options (section <c>Decisions</c>, validated at start). The stages
    /// (<see cref="IFeatureStage"/>, <see cref="IScoringStage"/>, <see cref="IRulesStage"/>) are registered by their
    /// own projects; running without a model or rules is their explicit choice, never a default here. The latency
    /// target (<c>Decisions:TargetMs</c>) is registered as <see cref="LatencyTarget"/> for every reader; each
    /// <see cref="ITelemetryFeed"/> registered gets the snapshots.
    /// </summary>
    public static IServiceCollection AddDecisionService(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DecisionServiceOptions>()
            .Bind(configuration.GetSection(DecisionServiceOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<State.CheckpointOptions>()
            .Bind(configuration.GetSection(State.CheckpointOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp => new LatencyTarget(sp.GetRequiredService<IOptions<DecisionServiceOptions>>().Value.TargetMs));
        services.AddSingleton<PipelineTelemetry>();
        services.AddSingleton<DecisionService>();
        services.AddHostedService(sp => sp.GetRequiredService<DecisionService>());
        return services;
    }
}
