using System.CommandLine;
using FraudStream.Ingest.Kafka;
using FraudStream.Scoring.Bench;
using FraudStream.Scoring.Runtime;
using FraudStream.Service.Hosting;
using Microsoft.Extensions.Logging;

namespace FraudStream.Service.Cli;

/// <summary><c>fraudstream bench scoring</c>: the model stage alone, per batch size, on CPU or CUDA; JSON out.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var device = CommonOptions.Device();
        var batch = new Option<string>("--batch") { Description = "Batch sizes, comma-separated", DefaultValueFactory = _ => "1,8,64,256,1024,4096" };
        var iterations = new Option<int>("--iterations") { Description = "Timed calls per batch size", DefaultValueFactory = _ => 2000 };
        var graphs = new Option<string>("--cuda-graphs") { Description = "on, off or both (CUDA only)", DefaultValueFactory = _ => "both" };
        var threads = new Option<int>("--cpu-threads") { Description = "ONNX Runtime intra-op threads on CPU (0 = all cores)", DefaultValueFactory = _ => 0 };
        var report = new Option<string?>("--json-report") { Description = "Write the results as JSON to this file" };
        var concurrency = new Option<int>("--concurrency") { Description = "Also measure the model stage under load: this many threads submitting through the micro-batcher (0 = off)", DefaultValueFactory = _ => 0 };
        var rowsPerSubmission = new Option<int>("--rows-per-submission") { Description = "Rows each submitting thread sends at once", DefaultValueFactory = _ => 1 };
        var batcherMaxBatch = new Option<int>("--batcher-max-batch") { Description = "Micro-batcher max batch size", DefaultValueFactory = _ => 64 };
        var batcherMaxWait = new Option<int>("--batcher-max-wait-us") { Description = "Micro-batcher max wait (µs)", DefaultValueFactory = _ => 200 };
        var challenger = new Option<string?>("--challenger")
        {
            Description = "With --concurrency: repeat each batcher run with this package as challenger in shadow (within budget, then on every batch)",
        };
        var scoring = new Command("scoring", "Benchmark the scoring stage: p50/p99 per call and per transaction at each batch size")
        {
            model, device, batch, iterations, graphs, threads, report, concurrency, rowsPerSubmission, batcherMaxBatch, batcherMaxWait, challenger,
        };
        scoring.SetAction(parse =>
        {
            var dir = parse.GetValue(model) ?? ShippedFiles.ModelDirectory;
            if (dir is null)
            {
                Console.Error.WriteLine("no model package: pass --model DIR");
                return 2;
            }

            using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Information));
            var options = new ScoringBenchOptions
            {
                PackageDir = dir,
                Device = ScoringOptions.ParseDevice(parse.GetValue(device) ?? "auto"),
                Batches = ScoringBenchOptions.ParseBatches(parse.GetValue(batch)!),
                Iterations = parse.GetValue(iterations),
                CudaGraphs = ScoringBenchOptions.ParseCudaGraphs(parse.GetValue(graphs)!),
                CpuThreads = parse.GetValue(threads),
                JsonReport = parse.GetValue(report),
                Concurrency = parse.GetValue(concurrency),
                RowsPerSubmission = parse.GetValue(rowsPerSubmission),
                BatcherMaxBatch = parse.GetValue(batcherMaxBatch),
                BatcherMaxWaitMicros = parse.GetValue(batcherMaxWait),
                ChallengerDir = parse.GetValue(challenger),
            };
            ScoringBench.Run(options, loggers.CreateLogger("bench"), Console.Out);
            return 0;
        });
        return new Command("bench", "Benchmarks that write JSON reports") { scoring, CreateFloor() };
    }

    /// <summary><c>fraudstream bench floor</c>: the Kafka path alone (produce → broker → consume → produce → ack).</summary>
    private static Command CreateFloor()
    {
        var bootstrap = CommonOptions.Bootstrap(required: false);
        var rate = new Option<double>("--rate") { Description = "Transactions per second", DefaultValueFactory = _ => 5000 };
        var count = new Option<int>("--transactions") { Description = "Transactions to send", DefaultValueFactory = _ => 50_000 };
        var brokers = new Option<int>("--brokers") { Description = "Embedded brokers (without --bootstrap)", DefaultValueFactory = _ => 3 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions of each topic (the demo's default)", DefaultValueFactory = _ => 6 };
        var warmup = new Option<double>("--warmup-seconds") { Description = "Seconds at the start not recorded", DefaultValueFactory = _ => 2 };
        var report = new Option<string?>("--json-report") { Description = "Write the result as JSON to this file" };
        var sourceLinger = new Option<double>("--source-linger-ms") { Description = "linger.ms of the source (the simulator's publisher default)", DefaultValueFactory = _ => TransactionPublisher.DefaultLingerMs };
        var linger = new Option<double>("--linger-ms") { Description = "linger.ms of the relay's producer (the decisions producer default)", DefaultValueFactory = _ => KafkaClients.DefaultDecisionsLingerMs };
        var fetchWait = new Option<int?>("--fetch-wait-ms") { Description = $"fetch.wait.max.ms of the relay's consumer (default: the demo's {KafkaClients.EmbeddedFetchWaitMaxMs} on the embedded broker, serve's {KafkaClients.DefaultFetchWaitMaxMs} with --bootstrap)" };
        var floor = new Command("floor", "The Kafka floor: the service's path with no decision stages, same client settings, partitions and rate")
        {
            bootstrap, rate, count, brokers, partitions, warmup, report, sourceLinger, linger, fetchWait,
        };
        floor.SetAction(parse =>
        {
            var options = new KafkaFloorOptions
            {
                Bootstrap = parse.GetValue(bootstrap),
                Rate = parse.GetValue(rate),
                Transactions = parse.GetValue(count),
                Brokers = parse.GetValue(brokers),
                Partitions = parse.GetValue(partitions),
                WarmupSeconds = parse.GetValue(warmup),
                SourceLingerMs = parse.GetValue(sourceLinger),
                ProducerLingerMs = parse.GetValue(linger),
                FetchWaitMaxMs = parse.GetValue(fetchWait) ?? (parse.GetValue(bootstrap) is null ? KafkaClients.EmbeddedFetchWaitMaxMs : KafkaClients.DefaultFetchWaitMaxMs),
            };
            var result = KafkaFloor.Run(options, Console.Out);
            Console.WriteLine($"floor ({result.Broker}, {result.Partitions} partitions): {result.AchievedRate:F0}/s of {result.RequestedRate:F0}/s requested, " +
                $"{result.Recorded:N0} recorded; p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, p99.9 {result.P999Ms:F2} ms, max {result.MaxMs:F2} ms");
            if (parse.GetValue(report) is { } path)
            {
                KafkaFloor.WriteJson(result, path);
            }

            return result.Recorded > 0 ? 0 : 1;
        });
        return floor;
    }
}
