using FraudStream.Features.Stage;
using FraudStream.Pipeline.Hosting;
using FraudStream.Rules.Stage;
using FraudStream.Scoring.Stage;
using FraudStream.Service.Dashboard;
using FraudStream.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FraudStream.Service.Hosting;

/// <summary>
/// Builds the service process: configuration from the shipped model and rules (<see cref="ShippedFiles"/>),
/// appsettings.json, FRAUDSTREAM_ environment variables and the command line (in rising precedence), then each
/// project's registration.
/// </summary>
public static class FraudStreamHost
{
    public static IHost Build(ServeSettings settings, Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = ShippedDefaults() });
        builder.Configuration.AddEnvironmentVariables("FRAUDSTREAM_");
        builder.Configuration.AddInMemoryCollection(ToConfiguration(settings));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(2));
        logging?.Invoke(builder.Logging);

        var store = ResolveStore(builder.Configuration);
        builder.Services.AddSingleton(FraudStore.Open(store));
        builder.Services.AddFeatures().AddScoring().AddRules();
        builder.Services.AddDecisionService(builder.Configuration);
        builder.Services.AddDashboardBridge(builder.Configuration);
        return builder.Build();
    }

    private static StoreLocation ResolveStore(IConfiguration configuration)
    {
        var db = configuration["Storage:Database"] ?? "sqlite:fraudstream.db";
        if (!StoreLocation.TryParse(db, out var location, out var error))
        {
            throw new OptionsValidationFailure("Storage:Database (--db): " + error);
        }

        return location!;
    }

    /// <summary>The lowest layer: the shipped package and rules, where they are found; <c>none</c> elsewhere is an explicit choice.</summary>
    private static Dictionary<string, string?> ShippedDefaults() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Scoring:ModelDirectory"] = ShippedFiles.ModelDirectory,
        ["Rules:File"] = ShippedFiles.RulesFile,
    };

    private static Dictionary<string, string?> ToConfiguration(ServeSettings s)
    {
        var map = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        void Put(string key, object? value)
        {
            if (value is not null)
            {
                map[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Put("Decisions:Bootstrap", s.Bootstrap);
        Put("Decisions:TargetMs", s.TargetMs);
        Put("Decisions:Workers", s.Workers);
        Put("Decisions:GroupId", s.GroupId);
        Put("Storage:Database", s.Database);
        Put("Scoring:ModelDirectory", s.ModelDirectory);
        Put("Scoring:Device", s.Device);
        Put("Rules:File", s.RulesFile);
        Put("Dashboard:Port", s.DashboardPort);
        Put("Dashboard:ReviewToken", s.ReviewToken);
        return map;
    }
}

/// <summary>A configuration value that cannot work, reported before anything starts.</summary>
public sealed class OptionsValidationFailure(string message) : Exception(message);
