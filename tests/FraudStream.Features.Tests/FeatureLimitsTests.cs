using FraudStream.Features.Stage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FraudStream.Features.Tests;

public sealed class FeatureLimitsTests
{
    [Fact]
    public void The_caps_are_read_from_the_Features_section()
    {
        using var provider = Provider(new() { ["Features:MaxCardsPerPartition"] = "50000", ["Features:MaxGraphNodes"] = "7000" });
        var options = provider.GetRequiredService<FeatureOptions>();
        Assert.Equal(50_000, options.MaxCardsPerPartition);
        Assert.Equal(7_000, options.MaxGraphNodes);
        Assert.Equal(new FeatureOptions().CardIdleTtl, options.CardIdleTtl);
    }

    [Fact]
    public void A_cap_too_small_to_decide_with_is_refused_by_its_setting_name()
    {
        using var provider = Provider(new() { ["Features:MaxCardsPerPartition"] = "10", ["Features:MaxGraphNodes"] = "-1" });
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<FeatureOptions>());
        Assert.Contains("Features:MaxCardsPerPartition must be at least 1000, got 10", error.Message, StringComparison.Ordinal);
        Assert.Contains("Features:MaxGraphNodes must be at least 1000, got -1", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddFeatures();
        return services.BuildServiceProvider();
    }
}
