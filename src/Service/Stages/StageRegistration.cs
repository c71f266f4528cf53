using FraudStream.Features;
using FraudStream.Pipeline.Stages;
using FraudStream.Service.Stages;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FraudStream.Service.Hosting;

/// <summary>Adapts the features, scoring and rules projects to the pipeline's stage interfaces.</summary>
public static class StageRegistration
{
    public static IServiceCollection AddFraudStreamStages(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(new FeatureOptions());
        services.AddSingleton<IFeatureStage, FeatureStage>();
        _ = configuration;
        return services;
    }
}
