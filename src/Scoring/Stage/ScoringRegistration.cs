using FraudStream.Core.Stages;
using FraudStream.Scoring.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FraudStream.Scoring.Stage;

public static class ScoringRegistration
{
    /// <summary>
    /// The model stage (<see cref="IScoringStage"/>) with its options, bound from the <c>Scoring</c> section and
    /// validated when the host starts. <c>Scoring:ModelDirectory</c> must be set: a package directory, or
    /// <see cref="ScoringOptions.NoModel"/> to run without a model.
    /// </summary>
    public static IServiceCollection AddScoring(this IServiceCollection services)
    {
        services.AddOptions<ScoringOptions>()
            .BindConfiguration(ScoringOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ScoringOptions>, ScoringOptionsValidator>();
        services.AddSingleton(sp => new ModelScoringStage(
            sp.GetRequiredService<IOptions<ScoringOptions>>().Value,
            sp.GetRequiredService<ILogger<ModelScoringStage>>()));
        services.AddSingleton<IScoringStage>(sp => sp.GetRequiredService<ModelScoringStage>());
        return services;
    }
}
