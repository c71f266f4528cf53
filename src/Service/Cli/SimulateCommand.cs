using System.CommandLine;
using System.Diagnostics;
using FraudStream.Ingest.Kafka;
using FraudStream.Ingest.Replay;
using FraudStream.Ingest.Simulation;

namespace FraudStream.Service.Cli;

internal static class SimulateCommand
{
    public static Command Create()
    {
        var bootstrap = CommonOptions.Bootstrap(required: false);
        var count = new Option<int>("--count") { Description = "Transactions to produce", DefaultValueFactory = _ => 100_000 };
        var rate = new Option<double>("--rate") { Description = "Transactions per second (0 = as fast as possible)", DefaultValueFactory = _ => 1_000 };
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed gives the same stream", DefaultValueFactory = _ => 7 };
        var output = new Option<string?>("--out")
        {
            Description = "Write the stream to this JSON lines file instead of Kafka (gzip when it ends in .gz): transactions and {\"label\":{…}} lines, "
                + "what train --source jsonl, evaluate and replay read",
        };
        var labelNoise = new Option<double?>("--label-noise") { Description = "Share of labels that say the opposite of the truth (default 0.01)" };
        var world = CommonOptions.World();
        var command = new Command("simulate", "Produce a realistic simulated stream, with fraud scenarios and delayed labels, to Kafka or a file")
        {
            bootstrap, count, rate, seed, output, labelNoise, world,
        };
        command.SetAction((parse, cancellation) =>
        {
            var n = parse.GetValue(count);
            if (n < 0 || parse.GetValue(rate) < 0)
            {
                Console.Error.WriteLine("--count and --rate must not be negative");
                return Task.FromResult(2);
            }

            if ((parse.GetValue(bootstrap) is null) == (parse.GetValue(output) is null))
            {
                Console.Error.WriteLine("give exactly one of --bootstrap (to Kafka) or --out (to a file)");
                return Task.FromResult(2);
            }

            var noise = parse.GetValue(labelNoise);
            if (noise is { } p && !(p >= 0 && p <= 0.5))
            {
                Console.Error.WriteLine("--label-noise must be in [0, 0.5]");
                return Task.FromResult(2);
            }

            var kind = CommonOptions.WorldOf(parse.GetValue(world));
            var simulator = new TransactionSimulator(noise is { } labelNoiseValue
                ? new SimulatorOptions { Seed = parse.GetValue(seed), LabelNoise = labelNoiseValue, World = kind }
                : new SimulatorOptions { Seed = parse.GetValue(seed), World = kind });
            if (kind == SimulatorWorld.Hard)
            {
                Console.Error.WriteLine(simulator.Options.Describe());
            }

            if (parse.GetValue(output) is { } path)
            {
                return Task.FromResult(WriteFile(simulator, n, path));
            }

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

    /// <summary>The same stream as to Kafka, as JSON lines: only what a bank sees (no ground truth, no scenario).</summary>
    private static int WriteFile(TransactionSimulator simulator, int count, string path)
    {
        var clock = Stopwatch.StartNew();
        var (transactions, labels) = JsonLinesWriter.WriteAll(path, simulator.Generate(count));
        Console.WriteLine($"wrote {transactions} transactions and {labels} labels to {Path.GetFullPath(path)} in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
