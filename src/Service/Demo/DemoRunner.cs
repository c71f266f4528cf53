using FraudStream.Core.Latency;
using System.Diagnostics;
using System.Globalization;
using FraudStream.Core.Contracts;
using FraudStream.Core.Telemetry;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Hosting;
using FraudStream.Pipeline.Latency;
using FraudStream.Service.Hosting;
using FraudStream.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FraudStream.Service.Demo;

/// <summary>One event of demo traffic: a transaction with its ground truth, or a label.</summary>
public readonly record struct DemoEvent(Transaction? Transaction, bool Fraud, Label? Label);

public sealed record DemoSettings(
    int Transactions,
    double Rate,
    int Seed,
    double TargetMs,
    int DashboardPort,
    string? JsonReport,
    string Folder,
    string? ModelDirectory,
    string? RulesFile,
    string Device,
    int Brokers = 1,
    double WarmupSeconds = 2,
    int Partitions = 6);

/// <summary>
/// Everything in one process: embedded broker, the service (as `serve` builds it), the simulator
/// publishing at the requested rate, a live tally of the decisions topic; then the final report.
/// </summary>
public sealed class DemoRunner(DemoSettings settings, Func<DemoSettings, IEnumerable<DemoEvent>> traffic, TextWriter output)
{
    public async Task<(int ExitCode, DemoReport Report)> RunAsync(CancellationToken cancellation)
    {
        Directory.CreateDirectory(settings.Folder);
        var dbPath = Path.Combine(settings.Folder, "fraudstream.db");
        output.WriteLine($"demo folder: {Path.GetFullPath(settings.Folder)}");
        using var broker = EmbeddedBroker.Start(brokers: settings.Brokers, partitions: settings.Partitions);
        output.WriteLine($"embedded Kafka (librdkafka mock cluster, {settings.Brokers} brokers, {settings.Partitions} partitions a topic): {broker.BootstrapServers}");
        var serve = new ServeSettings
        {
            Bootstrap = broker.BootstrapServers,
            Database = "sqlite:" + dbPath,
            ModelDirectory = settings.ModelDirectory,
            RulesFile = settings.RulesFile,
            DashboardPort = settings.DashboardPort,
            TargetMs = settings.TargetMs,
            Device = settings.Device,
        };
        using var host = FraudStreamHost.Build(serve, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await host.StartAsync(cancellation);
        var service = host.Services.GetRequiredService<DecisionService>();
        await service.Ready.WaitAsync(TimeSpan.FromSeconds(60), cancellation);
        if (settings.DashboardPort > 0)
        {
            output.WriteLine($"dashboard: http://127.0.0.1:{settings.DashboardPort}/");
        }

        output.WriteLine($"scorer: {service.ScorerDevice}, model {service.ModelVersion}; rules {service.RulesetVersion}; target {settings.TargetMs} ms");
        using var tally = new DecisionTally(broker.BootstrapServers);
        // One simulator client for the warm-up and the timed stream: its connection and producer id are warm too.
        using var publisher = new TransactionPublisher(broker.BootstrapServers, settings.Rate, clientId: "fraudstream-demo-simulator");
        var warmupIds = await WarmUpAsync(publisher, service, tally, cancellation);
        var truth = new Dictionary<string, bool>(settings.Transactions, StringComparer.Ordinal);
        var started = Stopwatch.StartNew();
        var startedAt = Stopwatch.GetTimestamp();
        long publishedAt = 0;
        long produced = 0;
        var publishing = Task.Run(() =>
        {
            // The simulator builds its world before its first event: the rate clock starts after that, or the
            // publisher would catch up with a burst.
            using var events = traffic(settings).GetEnumerator();
            var more = events.MoveNext();
            publisher.RestartPacing();
            Interlocked.Exchange(ref startedAt, Stopwatch.GetTimestamp());
            for (; more && !cancellation.IsCancellationRequested; more = events.MoveNext())
            {
                var e = events.Current;
                if (e.Transaction is { } tx)
                {
                    lock (truth)
                    {
                        truth[tx.Id] = e.Fraud;
                    }

                    publisher.Publish(tx);
                    Interlocked.Increment(ref produced);
                }
                else if (e.Label is { } label)
                {
                    publisher.Publish(label);
                }
            }

            publisher.Flush(TimeSpan.FromSeconds(60));
            Interlocked.Exchange(ref publishedAt, Stopwatch.GetTimestamp());
        }, CancellationToken.None);

        // Progress until everything published has its durable outcome (or a generous timeout).
        var deadline = TimeSpan.FromSeconds(60 + (settings.Transactions / Math.Max(1, settings.Rate) * 2));
        var nextProgress = TimeSpan.FromSeconds(1);
        while (true)
        {
            await Task.Delay(100, CancellationToken.None);
            var snapshot = service.Telemetry.Latest;
            var done = publishing.IsCompleted && snapshot is not null &&
                snapshot.Totals.Persisted + snapshot.Totals.DeadLettered + snapshot.Totals.Duplicates >= Interlocked.Read(ref produced) + warmupIds.Count &&
                tally.Messages >= snapshot.Totals.Decided && service.InFlight == 0;
            if (started.Elapsed >= nextProgress)
            {
                PrintProgress(snapshot, Interlocked.Read(ref produced), started.Elapsed);
                nextProgress += TimeSpan.FromSeconds(1);
            }

            if (done || cancellation.IsCancellationRequested || started.Elapsed > deadline)
            {
                break;
            }
        }

        var elapsed = started.Elapsed;
        await publishing;
        await Task.Delay(1500, CancellationToken.None); // let the tally read the last acknowledgements
        await host.StopAsync(CancellationToken.None);
        tally.Dispose();
        var store = host.Services.GetRequiredService<FraudStore>();
        // Throughput over the timed stream: from its start to the last decision read back from the decisions topic
        // (the done check above polls, so its elapsed time runs past that point).
        var lastRead = tally.LastReadAt;
        var decisionSpan = lastRead > startedAt ? Stopwatch.GetElapsedTime(startedAt, lastRead) : elapsed;
        var publishSpan = publishedAt > startedAt ? Stopwatch.GetElapsedTime(startedAt, publishedAt) : elapsed;
        var report = await BuildReportAsync(service, store, tally, truth, warmupIds, Interlocked.Read(ref produced), decisionSpan, publishSpan);
        output.WriteLine();
        PrintReport(report);
        if (settings.JsonReport is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, System.Text.Json.JsonSerializer.Serialize(report, DemoReport.Json), CancellationToken.None);
            output.WriteLine($"JSON report: {Path.GetFullPath(path)}");
        }

        await File.WriteAllTextAsync(Path.Combine(settings.Folder, "report.json"), System.Text.Json.JsonSerializer.Serialize(report, DemoReport.Json), CancellationToken.None);
        return (report.ExactlyOnce ? 0 : 1, report);
    }

    /// <summary>
    /// Warms the whole path before the timed stream, as a production service is warmed before it takes traffic:
    /// <see cref="DemoSettings.WarmupSeconds"/> of simulated traffic at the requested rate (another seed; ids,
    /// cards, merchants and devices prefixed <c>warmup-</c>, so no timed card or merchant has history from it)
    /// goes through Kafka, features, the model, rules, the decisions topic and the store: JIT tiers, ONNX
    /// Runtime, connections and the consumer group are then warm. Once all of it is decided and stored, the
    /// latency measurement restarts; its transactions are still checked for exactly-once like the timed ones.
    /// </summary>
    private async Task<HashSet<string>> WarmUpAsync(TransactionPublisher publisher, DecisionService service, DecisionTally tally, CancellationToken cancellation)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var count = (int)Math.Min(settings.WarmupSeconds * settings.Rate, 100_000);
        if (count <= 0)
        {
            return ids;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"warm-up: {count} transactions at {settings.Rate:F0}/s (ids, cards, merchants prefixed warmup-), then the measurement restarts"));
        var clock = Stopwatch.StartNew();
        await Task.Run(() =>
        {
            using var events = traffic(settings with { Transactions = count, Seed = settings.Seed + 1_000_003 }).GetEnumerator();
            var more = events.MoveNext();
            publisher.RestartPacing();
            for (; more && !cancellation.IsCancellationRequested; more = events.MoveNext())
            {
                var e = events.Current;
                if (e.Transaction is { } tx)
                {
                    tx.Id = "warmup-" + tx.Id;
                    tx.Card = "warmup-" + tx.Card;
                    tx.Merchant = "warmup-" + tx.Merchant;
                    tx.Device = tx.Device is null ? null : "warmup-" + tx.Device;
                    ids.Add(tx.Id);
                    publisher.Publish(tx);
                }
                else if (e.Label is { } label)
                {
                    publisher.Publish(label with { Id = "warmup-" + label.Id });
                }
            }

            publisher.Flush(TimeSpan.FromSeconds(60));
        }, CancellationToken.None);

        var deadline = Stopwatch.StartNew();
        while (!cancellation.IsCancellationRequested && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100, CancellationToken.None);
            var totals = service.Telemetry.Latest?.Totals;
            if (totals is not null && totals.Persisted + totals.DeadLettered + totals.Duplicates >= ids.Count &&
                tally.Messages >= totals.Decided && service.InFlight == 0)
            {
                break;
            }
        }

        await service.Telemetry.RestartMeasurementAsync().WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warm-up done in {clock.Elapsed.TotalSeconds:F1} s"));
        return ids;
    }

    private async Task<DemoReport> BuildReportAsync(DecisionService service, FraudStore store, DecisionTally tally,
        Dictionary<string, bool> truth, HashSet<string> warmupIds, long produced, TimeSpan elapsed, TimeSpan publishing)
    {
        var totals = service.Telemetry.Latest?.Totals ?? new();
        var stages = service.Telemetry.CumulativeStats();
        var e2e = stages[Stage.EndToEnd.Name()];
        var steady = service.Telemetry.SteadyEndToEnd();
        var decisions = tally.Snapshot();
        long missing = 0, twice = 0, tp = 0, fp = 0, frauds = 0, legit = 0, approve = 0, review = 0, decline = 0;
        foreach (var (id, fraud) in truth)
        {
            if (!decisions.TryGetValue(id, out var d))
            {
                missing++;
                continue;
            }

            if (d.Count > 1)
            {
                twice++;
            }

            switch (d.Kind)
            {
                case DecisionKind.Approve: approve++; break;
                case DecisionKind.Review: review++; break;
                default: decline++; break;
            }

            var flagged = d.Kind != DecisionKind.Approve;
            if (fraud)
            {
                frauds++;
                tp += flagged ? 1 : 0;
            }
            else
            {
                legit++;
                fp += flagged ? 1 : 0;
            }
        }

        long warmupDecided = 0;
        foreach (var id in warmupIds)
        {
            if (!decisions.TryGetValue(id, out var d))
            {
                missing++;
                continue;
            }

            warmupDecided++;
            if (d.Count > 1)
            {
                twice++;
            }
        }

        var decided = decisions.Count - warmupDecided;
        var report = new DemoReport
        {
            Produced = produced,
            Decided = decided,
            WarmupTransactions = warmupIds.Count,
            WarmupDecided = warmupDecided,
            DeadLettered = totals.DeadLettered,
            DuplicatesSuppressed = totals.Duplicates,
            Missing = missing,
            DecidedMoreThanOnce = twice,
            StoredDecisions = await store.CountDecisionsAsync(),
            DurationS = Math.Round(elapsed.TotalSeconds, 2),
            RateRequested = settings.Rate,
            ThroughputTps = Math.Round(decided / Math.Max(0.001, elapsed.TotalSeconds), 1),
            PublishedTps = Math.Round(produced / Math.Max(0.001, publishing.TotalSeconds), 1),
            TargetMs = settings.TargetMs,
            WithinTarget = Math.Round(e2e.WithinTarget, 5),
            LatencyMs = new DemoReport.Percentiles { P50 = e2e.P50, P90 = e2e.P90, P99 = e2e.P99, P999 = e2e.P999, Max = e2e.Max },
            LatencyMsSteady = new DemoReport.Percentiles { P50 = steady.P50, P90 = steady.P90, P99 = steady.P99, P999 = steady.P999, Max = steady.Max },
            WithinTargetSteady = Math.Round(steady.WithinTarget, 5),
            WarmupSecondsExcluded = PipelineTelemetry.WarmupSeconds,
            Decisions = new DemoReport.DecisionCounts { Approve = approve, Review = review, Decline = decline },
            Quality = new DemoReport.QualityReport
            {
                Frauds = frauds,
                Flagged = tp + fp,
                Precision = tp + fp == 0 ? 0 : Math.Round((double)tp / (tp + fp), 4),
                Recall = frauds == 0 ? 0 : Math.Round((double)tp / frauds, 4),
                Fpr = legit == 0 ? 0 : Math.Round((double)fp / legit, 5),
            },
            Scorer = new DemoReport.ScorerInfo { Device = service.ScorerDevice, ModelVersion = service.ModelVersion },
            Rules = new DemoReport.RulesInfo { RulesetVersion = service.RulesetVersion },
            Folder = Path.GetFullPath(settings.Folder),
        };
        foreach (var (name, stats) in stages)
        {
            report.StagesMs[name] = new DemoReport.StagePercentiles { P50 = stats.P50, P99 = stats.P99 };
        }

        // Every transaction, warm-up included, decided once and stored once.
        report.ExactlyOnce = missing == 0 && twice == 0 && produced > 0 && report.StoredDecisions == decisions.Count;
        return report;
    }

    private void PrintProgress(PipelineSnapshot? s, long produced, TimeSpan elapsed)
    {
        if (s is null)
        {
            output.WriteLine($"[{elapsed.TotalSeconds,5:F0}s] produced {produced,8}");
            return;
        }

        var e2e = s.SecondStages[Stage.EndToEnd.Name()];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{elapsed.TotalSeconds,5:F0}s] produced {produced,8}  decided {s.Totals.Decided,8}  in {s.TpsIn,8:F0}/s  out {s.TpsOut,8:F0}/s  " +
            $"e2e p50 {e2e.P50,6:F2} ms  p99 {e2e.P99,6:F2} ms  within {e2e.WithinTarget * 100,6:F2}%  dlq {s.Totals.DeadLettered}  dup {s.Totals.Duplicates}"));
    }

    private void PrintReport(DemoReport r)
    {
        output.WriteLine("FraudStream demo report");
        output.WriteLine($"  produced {r.Produced}, decided {r.Decided} (stored {r.StoredDecisions} incl. warm-up), dead-lettered {r.DeadLettered}, duplicates suppressed {r.DuplicatesSuppressed}");
        if (r.WarmupTransactions > 0)
        {
            output.WriteLine($"  warm-up before the timed stream: {r.WarmupTransactions} transactions, {r.WarmupDecided} decided; left out of the latencies below");
        }

        output.WriteLine($"  missing {r.Missing}, decided more than once {r.DecidedMoreThanOnce} -> exactly once: {(r.ExactlyOnce ? "yes" : "NO")}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  throughput {r.ThroughputTps:F0} tx/s decided over {r.DurationS:F2} s, first published to last decision read back (requested {r.RateRequested:F0}/s, published at {r.PublishedTps:F0}/s)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  end to end: p50 {r.LatencyMs.P50:F2} ms, p90 {r.LatencyMs.P90:F2}, p99 {r.LatencyMs.P99:F2}, p99.9 {r.LatencyMs.P999:F2}, max {r.LatencyMs.Max:F2}; within {r.TargetMs} ms: {r.WithinTarget * 100:F2}%"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  steady state (after the first {r.WarmupSecondsExcluded} s with traffic): p50 {r.LatencyMsSteady.P50:F2} ms, p90 {r.LatencyMsSteady.P90:F2}, p99 {r.LatencyMsSteady.P99:F2}, p99.9 {r.LatencyMsSteady.P999:F2}; within target {r.WithinTargetSteady * 100:F2}%"));
        foreach (var (stage, p) in r.StagesMs)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {stage,-16} p50 {p.P50,8:F3} ms   p99 {p.P99,8:F3} ms"));
        }

        output.WriteLine($"  decisions: approve {r.Decisions.Approve}, review {r.Decisions.Review}, decline {r.Decisions.Decline}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  quality vs simulator truth: precision {r.Quality.Precision:F3}, recall {r.Quality.Recall:F3}, fpr {r.Quality.Fpr:F4} ({r.Quality.Frauds} frauds)"));
        output.WriteLine($"  scorer {r.Scorer.Device}, model {r.Scorer.ModelVersion}; rules {r.Rules.RulesetVersion}");
    }
}
