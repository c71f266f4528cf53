using FraudStream.Features;
using FraudStream.Rules.Runtime;
using FraudStream.Scoring.Runtime;
using Microsoft.Extensions.Logging;
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
        services.AddSingleton(_ =>
        {
            var options = new ScoringOptions
            {
                Device = ScoringOptions.ParseDevice(configuration["Scoring:Device"] ?? "auto"),
            };
            // The micro-batcher's wait for submissions from other workers pays on a GPU; on the CPU each worker
            // already scores its own batch, and the wait is a scoring thread spinning on cores the pipeline needs
            // (2-core demo: less CPU, lower tail). Only an explicit CUDA device keeps the batcher's default wait;
            // Scoring:MaxWaitMicros still overrides.
            if (options.Device != ScoringDevice.Cuda)
            {
                options.MaxWaitMicros = 0;
            }

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
