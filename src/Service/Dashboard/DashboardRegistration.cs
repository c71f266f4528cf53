using System.Globalization;
using FraudStream.Dashboard.Hosting;
using FraudStream.Dashboard.Snapshots;
using FraudStream.Core.Stages;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FraudStream.Service.Dashboard;

public static class DashboardRegistration
{
    /// <summary>The dashboard (section <c>Dashboard</c>: Port, BindAddress, ReviewToken), validated at start.</summary>
    public static IServiceCollection AddDashboardBridge(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new DashboardOptions();
        configuration.GetSection("Dashboard").Bind(options);
        options.TargetMs = double.Parse(configuration["Decisions:TargetMs"] ?? "45", CultureInfo.InvariantCulture);
        if (!options.Enabled)
        {
            return services;
        }

        options.EnsureValid();
        services.AddSingleton(options);
        services.AddSingleton<StoreReviewStore>();
        services.AddSingleton<IRulesStatus>(sp =>
        {
            var rules = sp.GetRequiredService<IRulesStage>();
            return rules as IRulesStatus ?? new NoReloadStatus(rules);
        });
        services.AddSingleton<DashboardBridge>();
        services.AddHostedService(sp => sp.GetRequiredService<DashboardBridge>());
        return services;
    }

    /// <summary>No rules file: the model's thresholds decide, and nothing can fail to reload.</summary>
    private sealed class NoReloadStatus(IRulesStage rules) : IRulesStatus
    {
        public string RulesetVersion => rules.RulesetVersion;

        public IReadOnlyList<RulesReloadError> ReloadErrors => [];
    }
}
