using FraudStream.Core.Stages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FraudStream.Features.Stage;

/// <summary>The bounds on feature state an operator sets (section <c>Features</c>); the rest of <see cref="FeatureOptions"/> is the model's and fixed.</summary>
public sealed class FeatureLimits
{
    public const string Section = "Features";

    /// <summary>Most cards one partition holds; past it the least recently seen are dropped and counted.</summary>
    public int MaxCardsPerPartition { get; set; } = new FeatureOptions().MaxCardsPerPartition;

    /// <summary>Most merchants, and most devices, the graph holds; past it the least recently active are dropped and counted.</summary>
    public int MaxGraphNodes { get; set; } = new FeatureOptions().MaxGraphNodes;
}

internal sealed class FeatureLimitsValidator : IValidateOptions<FeatureLimits>
{
    public ValidateOptionsResult Validate(string? name, FeatureLimits options)
    {
        var errors = new List<string>();
        if (options.MaxCardsPerPartition < 1_000)
        {
            errors.Add($"Features:MaxCardsPerPartition must be at least 1000, got {options.MaxCardsPerPartition}");
        }

        if (options.MaxGraphNodes < 1_000)
        {
            errors.Add($"Features:MaxGraphNodes must be at least 1000, got {options.MaxGraphNodes}");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

public static class FeaturesRegistration
{
    /// <summary>The feature stage (<see cref="IFeatureStage"/>), its state bounded by <see cref="FeatureLimits"/> (validated at start).</summary>
    public static IServiceCollection AddFeatures(this IServiceCollection services)
    {
        services.AddOptions<FeatureLimits>().BindConfiguration(FeatureLimits.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FeatureLimits>, FeatureLimitsValidator>();
        services.AddSingleton(sp =>
        {
            var limits = sp.GetRequiredService<IOptions<FeatureLimits>>().Value;
            return new FeatureOptions { MaxCardsPerPartition = limits.MaxCardsPerPartition, MaxGraphNodes = limits.MaxGraphNodes };
        });
        services.AddSingleton<IFeatureStage, FeatureStage>();
        return services;
    }
}
