using System.Globalization;
using FraudStream.Dashboard.Hosting;
using FraudStream.Dashboard.Snapshots;
using FraudStream.Core.Stages;
using FraudStream.Rules.Stage;
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
        services.AddSingleton<IRulesStatus>(sp => new RulesStageStatus(sp.GetRequiredService<IRulesStage>()));
        services.AddSingleton<DashboardBridge>();
        services.AddHostedService(sp => sp.GetRequiredService<DashboardBridge>());
        return services;
    }

    /// <summary>The rules stage as the dashboard shows it; only a rules file can fail to reload.</summary>
    private sealed class RulesStageStatus(IRulesStage rules) : IRulesStatus
    {
        public string RulesetVersion => rules.RulesetVersion;

        public IReadOnlyList<RulesReloadError> ReloadErrors
        {
            get
            {
                if (rules is not RulesStage { LastRejectedReload: { } failure } stage)
                {
                    return [];
                }

                var list = new List<RulesReloadError>(failure.Diagnostics.Count);
                foreach (var d in failure.Diagnostics)
                {
                    list.Add(new RulesReloadError(failure.At, $"{stage.RulesFile}:{d}"));
                }

                return list;
            }
        }
    }
}
