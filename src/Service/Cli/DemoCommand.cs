using System.CommandLine;
using FraudStream.Ingest.Kafka;
using FraudStream.Ingest.Simulation;
using FraudStream.Service.Demo;
using FraudStream.Service.Hosting;

namespace FraudStream.Service.Cli;

internal static class DemoCommand
{
    public static Command Create()
    {
        var transactions = new Option<int>("--transactions") { Description = "Transactions to simulate", DefaultValueFactory = _ => 50_000 };
        var rate = new Option<double>("--rate") { Description = "Transactions per second", DefaultValueFactory = _ => 5_000 };
        var seed = new Option<int>("--seed") { Description = "Simulator seed", DefaultValueFactory = _ => 7 };
        var target = new Option<double>("--target-ms") { Description = "End-to-end latency target (ms)", DefaultValueFactory = _ => 45 };
        var report = new Option<string?>("--json-report") { Description = "Also write the final report as JSON to this file" };
        var port = new Option<int>("--dashboard-port") { Description = "Dashboard port (0 = off)", DefaultValueFactory = _ => 8080 };
        var brokers = new Option<int>("--brokers") { Description = "Embedded Kafka brokers (they share one mock-cluster thread)", DefaultValueFactory = _ => 1 };
        var warmup = new Option<double>("--warmup-seconds")
        {
            Description = "Seconds of warm-up traffic (own ids and cards) decided and stored before the timed stream; 0 = none",
            DefaultValueFactory = _ => 2,
        };
        var partitions = new Option<int>("--partitions")
        {
            Description = "Partitions of each embedded topic (the mock broker's fetch cost grows with partitions times retained batches)",
            DefaultValueFactory = _ => 6,
        };
        var duration = new Option<string?>("--duration")
        {
            Description = "Run for this long instead of --transactions (e.g. 90s, 10m, 1h): rate × duration transactions; the report gives each minute",
        };
        var floorSeconds = new Option<double>("--floor-seconds")
        {
            Description = "Seconds of the Kafka floor (bench floor at the same rate) measured after the run, for the service's cost over it; 0 = skip",
            DefaultValueFactory = _ => 10,
        };
        var timeline = new Option<string?>("--timeline") { Description = "Also write every second (latency, memory, GC) as JSON lines to this file" };
        var folder = new Option<string?>("--folder") { Description = "Folder for the SQLite store and report (default demo-output/run-TIMESTAMP)" };
        var instances = new Option<int>("--instances")
        {
            Description = "Run the service as this many `serve` processes in one consumer group (dashboards on the port and the next ones); "
                + "the last joins mid-stream, a live rebalance",
            DefaultValueFactory = _ => 1,
        };
        var db = new Option<string?>("--db")
        {
            Description = "Store: sqlite:PATH or postgres:CONNECTION-STRING (default a SQLite file in the folder; the instances share it)",
        };
        var model = CommonOptions.Model();
        var challenger = new Option<string?>("--challenger")
        {
            Description = "Challenger model package folder, scored in shadow beside the model (serve --challenger); the report compares them",
        };
        var sourceLinger = new Option<double>("--source-linger-ms")
        {
            Description = "linger.ms of the simulator's producer: on the end-to-end path, since a transaction's time is stamped before it",
            DefaultValueFactory = _ => TransactionPublisher.DefaultLingerMs,
        };
        var rules = CommonOptions.Rules();
        var device = CommonOptions.Device();
        var command = new Command("demo", "Run everything in one process: embedded Kafka, simulator, decision service, SQLite, dashboard")
        {
            transactions, rate, seed, target, report, port, folder, model, challenger, rules, device, brokers, warmup, partitions, duration,
            floorSeconds, timeline, instances, db, sourceLinger,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var n = parse.GetValue(transactions);
            var r = parse.GetValue(rate);
            if (parse.GetValue(duration) is { } text)
            {
                if (!TryParseDuration(text, out var span) || span <= TimeSpan.Zero)
                {
                    await Console.Error.WriteLineAsync($"--duration '{text}': expected a number with s, m or h (e.g. 90s, 10m)");
                    return 2;
                }

                n = (int)Math.Min(int.MaxValue, Math.Ceiling(r * span.TotalSeconds));
            }

            if (parse.GetValue(instances) is < 1 or > 64)
            {
                await Console.Error.WriteLineAsync("--instances must be 1 to 64");
                return 2;
            }

            if (n < 1 || r <= 0)
            {
                await Console.Error.WriteLineAsync("--transactions and --rate must be positive");
                return 2;
            }

            var settings = new DemoSettings(
                n, r, parse.GetValue(seed), parse.GetValue(target), parse.GetValue(port), parse.GetValue(report),
                parse.GetValue(folder) ?? Path.Combine("demo-output", "run-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss")),
                parse.GetValue(model) ?? ShippedFiles.ModelDirectory,
                parse.GetValue(rules) ?? ShippedFiles.RulesFile,
                parse.GetValue(device) ?? "auto",
                Math.Max(1, parse.GetValue(brokers)),
                Math.Max(0, parse.GetValue(warmup)),
                Math.Max(1, parse.GetValue(partitions)),
                Math.Max(0, parse.GetValue(floorSeconds)),
                parse.GetValue(timeline),
                parse.GetValue(instances),
                parse.GetValue(db),
                parse.GetValue(challenger),
                Math.Max(0, parse.GetValue(sourceLinger)));
            var runner = new DemoRunner(settings, Simulate, Console.Out);
            var (exit, _) = await runner.RunAsync(cancellation);
            return exit;
        });
        return command;
    }

    /// <summary>"90s", "10m", "1.5h" or plain seconds.</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var t = text.Trim();
        var unit = t.Length > 0 && char.IsLetter(t[^1]) ? char.ToLowerInvariant(t[^1]) : 's';
        var number = char.IsLetter(t.Length > 0 ? t[^1] : '0') ? t[..^1] : t;
        if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) ||
            double.IsNaN(value) || double.IsInfinity(value))
        {
            return false;
        }

        var seconds = unit switch { 's' => value, 'm' => value * 60, 'h' => value * 3600, _ => double.NaN };
        if (double.IsNaN(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

    internal static IEnumerable<DemoEvent> Simulate(DemoSettings settings)
    {
        var simulator = new TransactionSimulator(new SimulatorOptions { Seed = settings.Seed });
        foreach (var e in simulator.Generate(settings.Transactions))
        {
            yield return new DemoEvent(e.Transaction, e.IsFraud, e.Label);
        }
    }
}
