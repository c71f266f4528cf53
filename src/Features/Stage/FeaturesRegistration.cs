using FraudStream.Core.Stages;
using Microsoft.Extensions.DependencyInjection;

namespace FraudStream.Features.Stage;

public static class FeaturesRegistration
{
    /// <summary>The feature stage (<see cref="IFeatureStage"/>) with the default <see cref="FeatureOptions"/>; nothing in it is configured.</summary>
    public static IServiceCollection AddFeatures(this IServiceCollection services)
    {
        services.AddSingleton(new FeatureOptions());
        services.AddSingleton<IFeatureStage, FeatureStage>();
        return services;
    }
}
