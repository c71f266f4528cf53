using FraudStream.Core.Stages;
using FraudStream.Rules.Runtime;
using FraudStream.Scoring.Packaging;
using FraudStream.Service.Hosting;
using FraudStream.Service.Tests.Infrastructure;
using FraudStream.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FraudStream.Service.Tests.Cli;

/// <summary>
/// The host as <c>fraudstream serve</c> builds it when only the address and store are given: what model and rules
/// a new user gets. Nothing is started; the stages are built and checked as the host's start would check them.
/// </summary>
public sealed class ServeDefaultsTests
{
    private static ServeSettings Serve(string? model = null, string? rules = null) => new()
    {
        Bootstrap = "127.0.0.1:9",
        Database = "sqlite:" + Path.Combine(Directory.CreateTempSubdirectory("fs-serve-").FullName, "store.db"),
        DashboardPort = 0,
        ModelDirectory = model,
        RulesFile = rules,
        TokenKey = TestServeSettings.TokenKey,
    };

    [Fact]
    public void Without_model_or_rules_flags_serve_runs_the_shipped_package_and_default_rules()
    {
        using var host = FraudStreamHost.Build(Serve());
        host.Services.GetRequiredService<IStartupValidator>().Validate();

        var model = host.Services.GetRequiredService<IScoringStage>().Current;
        var shipped = ModelPackage.Load(Path.Combine(RepositoryPaths.Root(), "data", "model"));
        Assert.True(model.Available);
        Assert.Equal(shipped.ModelVersion, model.Version);
        Assert.Equal((float)shipped.Thresholds.Review, model.ReviewThreshold);
        Assert.Equal((float)shipped.Thresholds.Decline, model.DeclineThreshold);

        using var defaultRules = RulesetProvider.FromFile(Path.Combine(RepositoryPaths.Root(), "data", "rules", "default.rules"));
        Assert.Equal(defaultRules.Current.Version, host.Services.GetRequiredService<IRulesStage>().RulesetVersion);
    }

    [Fact]
    public void Model_none_runs_without_a_model_and_the_start_up_log_says_so()
    {
        var log = new CapturedLogs();
        using var host = FraudStreamHost.Build(Serve(model: "none"), logging => logging.AddProvider(log));
        host.Services.GetRequiredService<IStartupValidator>().Validate();

        var model = host.Services.GetRequiredService<IScoringStage>().Current;

        Assert.False(model.Available);
        Assert.Equal("none", model.Version);
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("without a model (--model none)", StringComparison.Ordinal));
    }

    [Fact]
    public void Rules_none_lets_the_model_thresholds_decide()
    {
        using var host = FraudStreamHost.Build(Serve(rules: "none"));
        host.Services.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal("thresholds-only", host.Services.GetRequiredService<IRulesStage>().RulesetVersion);
    }

    [Fact]
    public void A_model_directory_set_to_nothing_is_a_configuration_error_naming_the_setting()
    {
        using var host = FraudStreamHost.Build(Serve(model: ""));

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.StartsWith("Scoring:ModelDirectory (--model) is not set", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("too-short-a-secret")]
    public void Serve_refuses_to_start_without_a_token_key_of_its_own(string? key)
    {
        using var host = FraudStreamHost.Build(Serve() with { TokenKey = key });

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Decisions:TokenKey (env FRAUDSTREAM_Decisions__TokenKey) is required", Assert.Single(error.Failures), StringComparison.Ordinal);
    }
}
