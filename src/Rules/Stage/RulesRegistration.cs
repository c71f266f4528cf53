using FraudStream.Core.Stages;
using FraudStream.Rules.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FraudStream.Rules.Stage;

public static class RulesRegistration
{
    /// <summary>
    /// The rules stage (<see cref="IRulesStage"/>) with its options, bound from the <c>Rules</c> section and validated
    /// when the host starts: <c>Rules:File</c> is loaded and watched (<see cref="RulesStage"/>), or is
    /// <see cref="RulesOptions.NoRules"/> and the model's thresholds decide (<see cref="ThresholdOnlyRules"/>).
    /// An invalid rules file stops the start with a <see cref="Compilation.RulesCompileException"/>.
    /// </summary>
    public static IServiceCollection AddRules(this IServiceCollection services)
    {
        services.AddOptions<RulesOptions>()
            .BindConfiguration(RulesOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RulesOptions>, RulesOptionsValidator>();
        services.AddSingleton<IRulesStage>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RulesOptions>>().Value;
            if (options.ThresholdsOnly)
            {
                return new ThresholdOnlyRules();
            }

            return new RulesStage(RulesetProvider.FromFile(options.File!, logger: sp.GetRequiredService<ILogger<RulesStage>>()));
        });
        return services;
    }
}
