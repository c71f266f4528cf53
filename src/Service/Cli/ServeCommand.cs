using System.CommandLine;
using FraudStream.Pipeline.Hosting;
using FraudStream.Rules.Compilation;
using FraudStream.Rules.Stage;
using FraudStream.Service.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
        var challenger = new Option<string>("--challenger")
        {
            Description = "Challenger model package folder, watched: scored in shadow beside the model on every batch, its score and would-be "
                + "decision stored beside the real one, never deciding (docs/SCORING.md); `fraudstream models promote` makes it the model",
        };
        var ignorePromotions = new Option<bool>("--ignore-promotions")
        {
            Description = "Keep --model: follow no promotion applied on the store (at start or later), as the fleet otherwise does "
                + "from the challenger or the store's model registry (Decisions:IgnorePromotions, docs/SCORING.md)",
        };
        var rules = CommonOptions.Rules();
        var port = CommonOptions.DashboardPort();
        var target = CommonOptions.TargetMs();
        var device = CommonOptions.Device();
        var workers = new Option<int?>("--workers") { Description = "Parallel decision workers (default 2)" };
        var withStdin = new Option<bool>("--stop-when-stdin-closes")
        {
            Description = "Stop, as on SIGTERM, when standard input closes, and exit at the latest 30 s later: a supervisor's instances "
                + "end with it however it ends (demo --instances)",
        };
        var command = new Command("serve", "Consume transactions, decide each one, produce decisions, persist and commit")
        {
            bootstrap, db, model, challenger, ignorePromotions, rules, port, target, device, workers, withStdin,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var settings = new ServeSettings
            {
                Bootstrap = parse.GetValue(bootstrap),
                Database = parse.GetValue(db),
                ModelDirectory = parse.GetValue(model),
                ChallengerDirectory = parse.GetValue(challenger),
                RulesFile = parse.GetValue(rules),
                DashboardPort = parse.GetValue(port),
                TargetMs = parse.GetValue(target),
                Device = parse.GetValue(device),
                Workers = parse.GetValue(workers),
                // Unset unless given: Decisions:IgnorePromotions from configuration applies then.
                IgnorePromotions = parse.GetValue(ignorePromotions) ? true : null,
            };
            if (!parse.GetValue(withStdin))
            {
                return await RunAsync(settings, Console.Error, cancellation);
            }

            using var stdinClosed = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            StopWhenStdinCloses(stdinClosed);
            return await RunAsync(settings, Console.Error, stdinClosed.Token);
        });
        return command;
    }

    /// <summary>How long a stop asked for by closing standard input may take before the process ends itself.</summary>
    private static readonly TimeSpan StdinStopGrace = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Cancels <paramref name="stop"/> once standard input reaches its end (the writing process closed it, or died). A
    /// supervisor that died may have taken the broker with it (the demo's is embedded), and a drain against no broker
    /// waits out its timeouts: past <see cref="StdinStopGrace"/> the process kills itself.
    /// </summary>
    private static void StopWhenStdinCloses(CancellationTokenSource stop)
    {
        var watcher = new Thread(() =>
        {
            using var stdin = Console.OpenStandardInput();
            var buffer = new byte[256];
            while (stdin.Read(buffer) > 0)
            {
                // Anything written is ignored: only the end counts.
            }

            try
            {
                stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The service had already stopped.
            }

            Thread.Sleep(StdinStopGrace);
            using var self = System.Diagnostics.Process.GetCurrentProcess();
            self.Kill();
        })
        { IsBackground = true, Name = "fs-stdin-watch" };
        watcher.Start();
    }

    /// <summary>
    /// Runs the service until cancelled. A setting that cannot work stops it before anything starts, with one line
    /// per problem naming the setting, and exit code 2.
    /// </summary>
    internal static async Task<int> RunAsync(ServeSettings settings, TextWriter errors, CancellationToken cancellation)
    {
        try
        {
            using var host = FraudStreamHost.Build(settings);
            // Validate every option and build the service with its stages (loading the model and the rules) before the
            // host starts: a setting that cannot work is reported below, not logged by the host with its stack trace.
            host.Services.GetService<IStartupValidator>()?.Validate();
            host.Services.GetRequiredService<DecisionService>();
            await host.RunAsync(cancellation);
            return 0;
        }
        catch (Exception ex) when (ConfigurationProblems(ex) is { Count: > 0 } problems)
        {
            foreach (var problem in problems)
            {
                await errors.WriteLineAsync("configuration error: " + problem);
            }

            return 2;
        }
    }

    /// <summary>One line per setting that cannot work, or none when <paramref name="ex"/> is not about configuration.</summary>
    private static List<string> ConfigurationProblems(Exception ex)
    {
        switch (ex)
        {
            case OptionsValidationException validation:
                return [.. validation.Failures];
            case OptionsValidationFailure failure:
                return [failure.Message];
            case Scoring.Stage.ChallengerRefusedException challenger:
                return [$"Scoring:ChallengerDirectory (--challenger): {challenger.Message}"];
            case RulesCompileException rules:
                return [$"{RulesOptions.Section}:{nameof(RulesOptions.File)} (--rules): {rules.Message}"];
            case InvalidOperationException when ex.TargetSite?.DeclaringType?.Assembly == typeof(ConfigurationBinder).Assembly:
                // A value the binder cannot convert to its option's type; its message names the key (e.g. Scoring:MaxBatchSize).
                return [ex.InnerException is { } inner ? ex.Message + " " + inner.Message : ex.Message];
            case AggregateException aggregate:
                // Several option types failed at once: report them all, if they all are configuration problems.
                var all = new List<string>();
                foreach (var each in aggregate.Flatten().InnerExceptions)
                {
                    var problems = ConfigurationProblems(each);
                    if (problems.Count == 0)
                    {
                        return [];
                    }

                    all.AddRange(problems);
                }

                return all;
            default:
                return [];
        }
    }
}
