using System.CommandLine;
using FraudStream.Service.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FraudStream.Service.Cli;

internal static class ServeCommand
{
    public static Command Create()
    {
        var bootstrap = CommonOptions.Bootstrap(required: false);
        var db = CommonOptions.Database();
        var model = CommonOptions.Model();
        var rules = CommonOptions.Rules();
        var port = CommonOptions.DashboardPort();
        var target = CommonOptions.TargetMs();
        var device = CommonOptions.Device();
        var workers = new Option<int?>("--workers") { Description = "Parallel decision workers (default 2)" };
        var command = new Command("serve", "Consume transactions, decide each one, produce decisions, persist and commit")
        {
            bootstrap, db, model, rules, port, target, device, workers,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var settings = new ServeSettings
            {
                Bootstrap = parse.GetValue(bootstrap),
                Database = parse.GetValue(db),
                ModelDirectory = parse.GetValue(model),
                RulesFile = parse.GetValue(rules),
                DashboardPort = parse.GetValue(port),
                TargetMs = parse.GetValue(target),
                Device = parse.GetValue(device),
                Workers = parse.GetValue(workers),
            };
            try
            {
                using var host = FraudStreamHost.Build(settings);
                await host.RunAsync(cancellation);
                return 0;
            }
            catch (Exception ex) when (ex is OptionsValidationException or OptionsValidationFailure)
            {
                await Console.Error.WriteLineAsync("configuration error: " + ex.Message);
                return 2;
            }
        });
        return command;
    }
}
