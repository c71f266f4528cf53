using System.CommandLine;
using System.Diagnostics;
using FraudStream.Ingest.Kafka;
using FraudStream.Ingest.Simulation;

namespace FraudStream.Service.Cli;

internal static class SimulateCommand
{
    public static Command Create()
    {
        var bootstrap = CommonOptions.Bootstrap(required: true);
        var count = new Option<int>("--count") { Description = "Transactions to produce", DefaultValueFactory = _ => 100_000 };
        var rate = new Option<double>("--rate") { Description = "Transactions per second (0 = as fast as possible)", DefaultValueFactory = _ => 1_000 };
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed gives the same stream", DefaultValueFactory = _ => 7 };
        var command = new Command("simulate", "Produce a realistic simulated stream, with fraud scenarios and delayed labels, to Kafka")
        {
            bootstrap, count, rate, seed,
        };
        command.SetAction((parse, cancellation) =>
        {
            var n = parse.GetValue(count);
            if (n < 0 || parse.GetValue(rate) < 0)
            {
                Console.Error.WriteLine("--count and --rate must not be negative");
                return Task.FromResult(2);
            }

            var simulator = new TransactionSimulator(new SimulatorOptions { Seed = parse.GetValue(seed) });
            using var publisher = new TransactionPublisher(parse.GetValue(bootstrap)!, parse.GetValue(rate), clientId: "fraudstream-simulator");
            long transactions = 0, labels = 0, frauds = 0;
            var clock = Stopwatch.StartNew();
            foreach (var e in simulator.Generate(n))
            {
                if (cancellation.IsCancellationRequested)
                {
                    break;
                }

                if (e.Transaction is { } tx)
                {
                    publisher.Publish(tx);
                    transactions++;
                    frauds += e.IsFraud ? 1 : 0;
                }
                else if (e.Label is { } label)
                {
                    publisher.Publish(label);
                    labels++;
                }

                if (transactions % 10_000 == 0 && e.Transaction is not null)
                {
                    Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1}s] {transactions} transactions ({frauds} fraud), {labels} labels");
                }
            }

            var flushed = publisher.Flush(TimeSpan.FromSeconds(60));
            Console.WriteLine($"produced {transactions} transactions ({frauds} fraud) and {labels} labels in {clock.Elapsed.TotalSeconds:F1} s; " +
                $"{publisher.Failed} failed deliveries");
            return Task.FromResult(flushed && publisher.Failed == 0 ? 0 : 1);
        });
        return command;
    }
}
