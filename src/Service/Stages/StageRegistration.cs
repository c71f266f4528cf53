using FraudStream.Features;
using FraudStream.Rules.Runtime;
using FraudStream.Scoring.Runtime;
using Microsoft.Extensions.Logging;
using FraudStream.Core.Stages;
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
        services.AddSingleton(_ =>
        {
            var options = new ScoringOptions
            {
                Device = ScoringOptions.ParseDevice(configuration["Scoring:Device"] ?? "auto"),
            };
            configuration.GetSection("Scoring").Bind(options);
            options.Validate();
            return options;
        });
        services.AddSingleton(sp => new ModelScoringStage(
            sp.GetRequiredService<ScoringOptions>(),
            configuration["Scoring:ModelDirectory"] is { Length: > 0 } dir ? dir : null,
            sp.GetRequiredService<ILogger<ModelScoringStage>>()));
        services.AddSingleton<IScoringStage>(sp => sp.GetRequiredService<ModelScoringStage>());
        if (configuration["Rules:File"] is { Length: > 0 } rulesFile)
        {
            services.AddSingleton(sp =>
            {
                var provider = RulesetProvider.FromFile(rulesFile, logger: sp.GetRequiredService<ILogger<RulesStage>>());
                return new RulesStage(provider);
            });
            services.AddSingleton<IRulesStage>(sp => sp.GetRequiredService<RulesStage>());
        }
        return services;
    }
}
