using FraudStream.Core.Contracts;
using FraudStream.Core.Stages;
using FraudStream.Rules.Compilation;
using FraudStream.Rules.Runtime;
using FraudStream.Rules.Stage;
using FraudStream.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FraudStream.Rules.Tests;

/// <summary>The rules stage as <see cref="RulesRegistration.AddRules"/> builds it from the <c>Rules</c> section.</summary>
public sealed class RulesStageTests
{
    private static ServiceProvider Build(string? file) =>
        new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?> { ["Rules:File"] = file })
                .Build())
            .AddLogging()
            .AddRules()
            .BuildServiceProvider();

    [Fact]
    public void A_rules_file_is_loaded_and_watched_and_its_rejected_reload_is_reported_with_the_file()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("live.rules", "rule big: review if amount > 100\n");
        using var services = Build(file);

        var stage = Assert.IsType<RulesStage>(services.GetRequiredService<IRulesStage>());
        Assert.Equal(RulesCompiler.Compile(File.ReadAllText(file)).Version, stage.RulesetVersion);
        Assert.Null(stage.LastRejectedReload);

        File.WriteAllText(file, "rule big: review if amount >\n");
        Assert.False(stage.Provider.Reload());

        Assert.Equal(Path.GetFullPath(file), stage.RulesFile);
        Assert.NotEmpty(stage.LastRejectedReload!.Diagnostics);
    }

    [Fact]
    public void None_lets_the_model_thresholds_decide_exactly_as_a_ruleset_does_when_no_rule_matches()
    {
        using var services = Build(RulesOptions.NoRules);
        var worker = Assert.IsType<ThresholdOnlyRules>(services.GetRequiredService<IRulesStage>()).CreateWorker();
        using var noRuleMatches = RulesetProvider.FromText("rule never: decline if amount < 0");
        var ruleset = noRuleMatches.CreateWorker();
        var context = TestInputs.NewContext();
        foreach (var score in new[] { float.NaN, 0f, 0.49f, 0.5f, 0.89f, 0.9f, 1f })
        {
            var expected = new List<string>();
            var actual = new List<string>();
            Assert.Equal(
                ruleset.Decide(context.Transaction, context.Features, score, 0.5f, 0.9f, expected),
                worker.Decide(context.Transaction, context.Features, score, 0.5f, 0.9f, actual));
            Assert.Equal(expected, actual);
        }

        Assert.Equal(DecisionKind.Decline, worker.Decide(context.Transaction, context.Features, 0.95f, 0.5f, 0.9f, []));
    }

    [Theory]
    [InlineData(null, "Rules:File (--rules) is not set")]
    [InlineData("", "Rules:File (--rules) is not set")]
    [InlineData("/nowhere/at/all.rules", "Rules:File (--rules): /nowhere/at/all.rules does not exist")]
    public void A_missing_rules_setting_is_one_failure_naming_it(string? file, string expected)
    {
        using var services = Build(file);

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IRulesStage>());

        Assert.StartsWith(expected, Assert.Single(error.Failures), StringComparison.Ordinal);
    }
}
