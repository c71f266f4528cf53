using FraudStream.Scoring.Runtime;
using FraudStream.Scoring.Stage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FraudStream.Scoring.Tests;

/// <summary>The <c>Scoring</c> section as <see cref="ScoringRegistration.AddScoring"/> binds and validates it.</summary>
public sealed class ScoringOptionsTests
{
    private static ScoringOptions Bind(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?> { ["Scoring:ModelDirectory"] = ScoringOptions.NoModel };
        foreach (var (key, value) in settings)
        {
            values["Scoring:" + key] = value;
        }

        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build())
            .AddLogging()
            .AddScoring();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ScoringOptions>>().Value;
    }

    [Fact]
    public void Every_device_name_the_command_line_offers_binds_from_configuration()
    {
        foreach (var name in ScoringOptions.DeviceNames)
        {
            Assert.Equal(ScoringOptions.ParseDevice(name), Bind(("Device", name)).Device);
        }

        Assert.Equal(["auto", "cuda", "cpu"], ScoringOptions.DeviceNames);
    }

    [Fact]
    public void A_device_name_outside_the_list_fails_binding_with_the_accepted_names()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Bind(("Device", "gpu")));

        Assert.Contains("Scoring:Device", error.Message, StringComparison.Ordinal);
        Assert.Contains("auto|cuda|cpu", error.InnerException?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_graph_binds_by_the_names_the_manifest_uses()
    {
        Assert.Equal(ScoringGraph.TreeEnsemble, Bind(("Graph", "tree_ensemble")).Graph);
    }

    [Theory]
    [InlineData("MaxBatchSize", "0", "Scoring:MaxBatchSize must be 1..65536")]
    [InlineData("MaxBatchSize", "65537", "Scoring:MaxBatchSize must be 1..65536")]
    [InlineData("MaxWaitMicros", "-1", "Scoring:MaxWaitMicros must be 0 or more")]
    [InlineData("MaxPendingSubmissions", "0", "Scoring:MaxPendingSubmissions must be 1 or more")]
    [InlineData("CpuThreads", "-2", "Scoring:CpuThreads must be 0")]
    [InlineData("ModelDirectory", "", "Scoring:ModelDirectory (--model) is not set")]
    [InlineData("RegistryCacheDirectory", " ", "Scoring:RegistryCacheDirectory is not set")]
    public void Each_invalid_setting_is_one_failure_naming_it(string key, string value, string expected)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind((key, value)));

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_are_valid()
    {
        var options = Bind();

        Assert.Equal(ScoringDevice.Auto, options.Device);
        Assert.Equal(256, options.MaxBatchSize);
        Assert.Equal(Path.Combine(Path.GetTempPath(), "fraudstream-registry"), options.RegistryCacheDirectory);
    }

    [Fact]
    public void A_registry_cache_that_is_a_file_is_refused_naming_the_setting()
    {
        var file = Path.GetTempFileName();
        try
        {
            var error = Assert.Throws<OptionsValidationException>(() => Bind(("RegistryCacheDirectory", file)));

            Assert.Equal($"Scoring:RegistryCacheDirectory is a file; it must be a folder (created when missing) (is '{file}')", Assert.Single(error.Failures));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
