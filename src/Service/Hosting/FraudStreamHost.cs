using FraudStream.Dashboard.Hosting;
using FraudStream.Dashboard.Reviews;
using FraudStream.Features.Stage;
using FraudStream.Pipeline.Hosting;
using FraudStream.Rules.Stage;
using FraudStream.Scoring.Stage;
using FraudStream.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FraudStream.Service.Hosting;

/// <summary>
/// Builds the service process, one host: configuration from the shipped model and rules (<see cref="ShippedFiles"/>),
/// appsettings.json, environment variables (plain, then
/// FRAUDSTREAM_ prefixed) and the command line, in rising precedence; logging from its <c>Logging</c> section; then
/// each project's registration. With a dashboard port the host is a WebApplication whose endpoints are the
/// dashboard's, beside the decision service; with port 0 it is a plain host, so nothing listens.
/// </summary>
public static class FraudStreamHost
{
    public static IHost Build(ServeSettings settings, Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var configuration = LoadConfiguration(settings);
        if (!DashboardOptions.IsRequestedIn(configuration))
        {
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
            AddDecisionService(builder, configuration, logging);
            return builder.Build();
        }

        var web = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        AddDecisionService(web, configuration, logging);
        web.Services.AddSingleton<IReviewStore, StoreReviewStore>();
        web.AddDashboard();
        var app = web.Build();
        app.MapFraudStreamDashboard();
        return app;
    }

    private static void AddDecisionService(IHostApplicationBuilder builder, IConfiguration configuration, Action<ILoggingBuilder>? logging)
    {
        builder.Configuration.AddConfiguration(configuration);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(2));
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddConsole();
        builder.Logging.AddDebug();
        builder.Logging.AddEventSourceLogger();
        logging?.Invoke(builder.Logging);

        builder.Services.AddSingleton(FraudStore.Open(ResolveStore(builder.Configuration)));
        builder.Services.AddFeatures().AddScoring().AddRules();
        builder.Services.AddDecisionService(builder.Configuration);
    }

    private static ConfigurationManager LoadConfiguration(ServeSettings settings)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(ShippedDefaults());
        configuration.AddInMemoryCollection(settings.Defaults ?? new Dictionary<string, string?>());
        configuration.SetBasePath(AppContext.BaseDirectory);
        configuration.AddJsonFile("appsettings.json", optional: true);
        configuration.AddEnvironmentVariables();
        configuration.AddEnvironmentVariables("FRAUDSTREAM_");
        configuration.AddInMemoryCollection(ToConfiguration(settings));
        return configuration;
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
        Put("Decisions:TokenKey", s.TokenKey);
        Put("Decisions:IgnorePromotions", s.IgnorePromotions);
        Put("Storage:Database", s.Database);
        Put("Scoring:ModelDirectory", s.ModelDirectory);
        Put("Scoring:ChallengerDirectory", s.ChallengerDirectory);
        Put("Scoring:Device", s.Device);
        Put("Rules:File", s.RulesFile);
        Put("Dashboard:Port", s.DashboardPort);
        Put("Dashboard:ReviewToken", s.ReviewToken);
        foreach (var (key, value) in s.Configuration ?? new Dictionary<string, string?>())
        {
            Put(key, value);
        }

        return map;
    }
}

/// <summary>A configuration value that cannot work, reported before anything starts.</summary>
public sealed class OptionsValidationFailure(string message) : Exception(message);
