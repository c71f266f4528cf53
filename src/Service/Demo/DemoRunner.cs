using FraudStream.Core.Latency;
using System.Diagnostics;
using System.Globalization;
using FraudStream.Core.Contracts;
using FraudStream.Core.Identifiers;
using FraudStream.Core.Telemetry;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Hosting;
using FraudStream.Pipeline.Latency;
using FraudStream.Pipeline.Processing;
using FraudStream.Pipeline.State;
using FraudStream.Service.Hosting;
using FraudStream.Storage;
using FraudStream.Storage.Records;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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
    int Partitions = 6,
    double FloorSeconds = 10,
    string? Timeline = null,
    int Instances = 1,
    string? Database = null,
    string? ChallengerDirectory = null,
    double SourceLingerMs = TransactionPublisher.DefaultLingerMs);

/// <summary>
/// Everything in one process: embedded broker, the service (as `serve` builds it), the simulator
/// publishing at the requested rate, a live tally of the decisions topic; then the final report. With
/// <see cref="DemoSettings.Instances"/> above 1 the service runs as that many `serve` processes instead
/// (DemoRunner.Instances.cs).
/// </summary>
public sealed partial class DemoRunner(DemoSettings settings, Func<DemoSettings, IEnumerable<DemoEvent>> traffic, TextWriter output)
{
    public async Task<(int ExitCode, DemoReport Report)> RunAsync(CancellationToken cancellation)
    {
        if (settings.Instances > 1)
        {
            return await RunInstancesAsync(cancellation);
        }

        Directory.CreateDirectory(settings.Folder);
        output.WriteLine($"demo folder: {Path.GetFullPath(settings.Folder)}");
        using var broker = EmbeddedBroker.Start(brokers: settings.Brokers, partitions: settings.Partitions);
        output.WriteLine($"embedded Kafka (librdkafka mock cluster, {settings.Brokers} brokers, {settings.Partitions} partitions a topic): {broker.BootstrapServers}");
        using var host = FraudStreamHost.Build(ServeSettingsFor(broker), logging => logging.SetMinimumLevel(LogLevel.Warning));
        var service = await StartServiceAsync(host, cancellation);
        using var tally = new DecisionTally(broker.BootstrapServers);
        // One simulator client for the warm-up and the timed stream: its connection and producer id are warm too.
        using var publisher = new TransactionPublisher(broker.BootstrapServers, settings.Rate, clientId: "fraudstream-demo-simulator", lingerMs: settings.SourceLingerMs);
        var warmupIds = await WarmUpAsync(publisher,
            ids => Task.FromResult(service.Telemetry.Latest?.Totals is { } totals && AllSettled(totals, ids, service, tally)),
            () => service.Telemetry.RestartMeasurementAsync().WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None),
            cancellation);
        var stream = new TimedStream(settings.Transactions);
        using var intervals = new DemoIntervals(settings.TargetMs, settings.Timeline);
        var publishing = Task.Run(() => PublishTimed(publisher, stream, cancellation), CancellationToken.None);
        var elapsed = await WaitForOutcomesAsync(service, tally, publishing, stream, warmupIds.Count, intervals, cancellation);
        await publishing;
        await Task.Delay(1500, CancellationToken.None); // let the tally read the last acknowledgements
        await host.StopAsync(CancellationToken.None);
        tally.Dispose();
        intervals.Finish();
        var report = await BuildReportAsync(service, host.Services.GetRequiredService<FraudStore>(), tally, stream, warmupIds, elapsed);
        report.Minutes = [.. intervals.Minutes];
        if (settings.FloorSeconds > 0 && !cancellation.IsCancellationRequested)
        {
            AddFloor(report, host.Services.GetRequiredService<IOptions<DecisionServiceOptions>>().Value);
        }

        output.WriteLine();
        PrintReport(report);
        await WriteReportAsync(report);
        return (report.ExactlyOnce ? 0 : 1, report);
    }

    private ServeSettings ServeSettingsFor(EmbeddedBroker broker) => new()
    {
        Bootstrap = broker.BootstrapServers,
        Database = StoreDatabase(),
        ModelDirectory = settings.ModelDirectory,
        ChallengerDirectory = settings.ChallengerDirectory,
        RulesFile = settings.RulesFile,
        DashboardPort = settings.DashboardPort,
        TargetMs = settings.TargetMs,
        Device = settings.Device,
        // Tokens live as long as the demo's store: a fresh key each run.
        TokenKey = PanTokenizer.NewKey(),
        Configuration = SimulatedWorldConfiguration.ToDictionary(pair => pair.Key, string? (pair) => pair.Value),
        Defaults = OneProcessDefaults,
    };

    /// <summary>
    /// The demo's broker is the embedded one, in one process or for the `serve` instances alike: the transactions
    /// consumer takes its fetch wait (<see cref="KafkaClients.EmbeddedFetchWaitMaxMs"/>).
    /// </summary>
    private static readonly Dictionary<string, string> EmbeddedBrokerConfiguration = new()
    {
        [DecisionServiceOptions.Section + ":" + nameof(DecisionServiceOptions.FetchWaitMaxMs)] =
            KafkaClients.EmbeddedFetchWaitMaxMs.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The embedded broker's settings, and no retention guard: the broker lives and dies with this process, so there
    /// is no crash for a checkpoint's replay to survive, and the guard would only make the embedded broker keep (and
    /// walk on every fetch) up to two checkpoint intervals of batches (docs/LATENCY.md). Defaults: the environment can
    /// still override them.
    /// </summary>
    internal static readonly Dictionary<string, string?> OneProcessDefaults = new(
        EmbeddedBrokerConfiguration.Select(pair => KeyValuePair.Create(pair.Key, (string?)pair.Value)))
    {
        [CheckpointOptions.Section + ":" + nameof(CheckpointOptions.GuardRetention)] = "false",
    };

    /// <summary>
    /// The simulated world's event time is its own (it starts 2026-11-01 and labels follow up to a month after the
    /// last transaction): it may run ahead of the wall clock, which the service otherwise refuses.
    /// </summary>
    private static readonly Dictionary<string, string> SimulatedWorldConfiguration = new()
    {
        [DecisionServiceOptions.Section + ":" + nameof(DecisionServiceOptions.MaxFutureSkewSeconds)] =
            DecisionServiceOptions.MaxEventTimeWindowSeconds.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The store: --db, else a SQLite file in the demo folder.</summary>
    private string StoreDatabase() => settings.Database ?? "sqlite:" + Path.Combine(settings.Folder, "fraudstream.db");

    private async Task<DecisionService> StartServiceAsync(IHost host, CancellationToken cancellation)
    {
        await host.StartAsync(cancellation);
        var service = host.Services.GetRequiredService<DecisionService>();
        await service.Ready.WaitAsync(TimeSpan.FromSeconds(60), cancellation);
        if (settings.DashboardPort > 0)
        {
            output.WriteLine($"dashboard: http://127.0.0.1:{settings.DashboardPort}/");
        }

        output.WriteLine($"scorer: {service.ScorerDevice}, model {service.ModelVersion}; rules {service.RulesetVersion}; target {settings.TargetMs} ms");
        return service;
    }

    /// <summary>The timed stream, remembering each transaction's truth for the report.</summary>
    private void PublishTimed(TransactionPublisher publisher, TimedStream stream, CancellationToken cancellation)
    {
        Publish(publisher, traffic(settings), stream.Started, stream.Add, static label => label, cancellation);
        stream.Published();
    }

    /// <summary>
    /// Publishes the traffic in order, then flushes. The simulator builds its world before its first event: the rate
    /// clock starts after that (<paramref name="onStarted"/>), or the publisher would catch up with a burst.
    /// </summary>
    /// <param name="onTransaction">Sees (and may rewrite) each transaction, with its truth, before it is published.</param>
    /// <param name="onLabel">The label to publish for each label event.</param>
    private static void Publish(TransactionPublisher publisher, IEnumerable<DemoEvent> traffic, Action onStarted,
        Action<Transaction, bool> onTransaction, Func<Label, Label> onLabel, CancellationToken cancellation)
    {
        using var events = traffic.GetEnumerator();
        var more = events.MoveNext();
        publisher.RestartPacing();
        onStarted();
        for (; more && !cancellation.IsCancellationRequested; more = events.MoveNext())
        {
            var e = events.Current;
            if (e.Transaction is { } tx)
            {
                onTransaction(tx, e.Fraud);
                publisher.Publish(tx);
            }
            else if (e.Label is { } label)
            {
                publisher.Publish(onLabel(label));
            }
        }

        publisher.Flush(TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Prints progress each second until everything published has its durable outcome and its decision read back
    /// (or a generous timeout); returns how long the timed stream took to that point.
    /// </summary>
    private async Task<TimeSpan> WaitForOutcomesAsync(DecisionService service, DecisionTally tally, Task publishing, TimedStream stream,
        int warmupCount, DemoIntervals intervals, CancellationToken cancellation)
    {
        var deadline = TimeSpan.FromSeconds(60 + (settings.Transactions / Math.Max(1, settings.Rate) * 2));
        var nextProgress = TimeSpan.FromSeconds(1);
        while (true)
        {
            await Task.Delay(100, CancellationToken.None);
            var snapshot = service.Telemetry.Latest;
            intervals.Observe(snapshot);
            var done = publishing.IsCompleted && snapshot is not null &&
                AllSettled(snapshot.Totals, stream.Produced + warmupCount, service, tally);
            if (stream.Clock.Elapsed >= nextProgress)
            {
                PrintProgress(snapshot, stream.Produced, stream.Clock.Elapsed);
                nextProgress += TimeSpan.FromSeconds(1);
            }

            if (done || cancellation.IsCancellationRequested || stream.Clock.Elapsed > deadline)
            {
                return stream.Clock.Elapsed;
            }
        }
    }

    /// <summary>Every published transaction stored, dead-lettered or suppressed as a duplicate, every decision read back, nothing in flight.</summary>
    private static bool AllSettled(PipelineTotals totals, long published, DecisionService service, DecisionTally tally) =>
        totals.Persisted + totals.DeadLettered + totals.Duplicates >= published && tally.Messages >= totals.Decided && service.InFlight == 0;

    private async Task WriteReportAsync(DemoReport report)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(report, DemoReport.Json);
        if (settings.JsonReport is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, json, CancellationToken.None);
            output.WriteLine($"JSON report: {Path.GetFullPath(path)}");
        }

        await File.WriteAllTextAsync(Path.Combine(settings.Folder, "report.json"), json, CancellationToken.None);
    }

    /// <summary>
    /// Warms the whole path before the timed stream, as a production service is warmed before it takes traffic:
    /// <see cref="DemoSettings.WarmupSeconds"/> of simulated traffic at the requested rate (another seed; ids,
    /// cards, merchants and devices prefixed <c>warmup-</c>, so no timed card or merchant has history from it)
    /// goes through Kafka, features, the model, rules, the decisions topic and the store: JIT tiers, ONNX
    /// Runtime, connections and the consumer group are then warm. Once all of it is decided and stored, the
    /// latency measurement restarts (<paramref name="restartMeasurement"/>, where the demo can); its transactions are
    /// still checked for exactly-once like the timed ones. <paramref name="settled"/>: whether this many transactions
    /// have all their outcomes.
    /// </summary>
    private async Task<HashSet<string>> WarmUpAsync(TransactionPublisher publisher, Func<int, Task<bool>> settled, Func<Task>? restartMeasurement,
        CancellationToken cancellation)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var count = (int)Math.Min(settings.WarmupSeconds * settings.Rate, 100_000);
        if (count <= 0)
        {
            return ids;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"warm-up: {count} transactions at {settings.Rate:F0}/s (ids, cards, merchants prefixed warmup-){(restartMeasurement is null ? "" : ", then the measurement restarts")}"));
        var clock = Stopwatch.StartNew();
        await Task.Run(() => Publish(publisher, traffic(settings with { Transactions = count, Seed = settings.Seed + 1_000_003 }), static () => { },
            (tx, _) =>
            {
                tx.Id = "warmup-" + tx.Id;
                tx.Card = "warmup-" + tx.Card;
                tx.Merchant = "warmup-" + tx.Merchant;
                tx.Device = tx.Device is null ? null : "warmup-" + tx.Device;
                ids.Add(tx.Id);
            },
            static label => label with { Id = "warmup-" + label.Id },
            cancellation), CancellationToken.None);

        var deadline = Stopwatch.StartNew();
        while (!cancellation.IsCancellationRequested && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100, CancellationToken.None);
            if (await settled(ids.Count))
            {
                break;
            }
        }

        if (restartMeasurement is not null)
        {
            await restartMeasurement();
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warm-up done in {clock.Elapsed.TotalSeconds:F1} s"));
        return ids;
    }

    private async Task<DemoReport> BuildReportAsync(DecisionService service, FraudStore store, DecisionTally tally,
        TimedStream stream, HashSet<string> warmupIds, TimeSpan elapsed)
    {
        var totals = service.Telemetry.Latest?.Totals ?? new();
        var report = OutcomesReport(tally, stream, warmupIds, elapsed, await store.CountDecisionsAsync(), totals.DeadLettered, totals.Duplicates);
        var stages = service.Telemetry.CumulativeStats();
        var e2e = stages[Stage.EndToEnd.Name()];
        var steady = service.Telemetry.SteadyEndToEnd();
        report.WithinTarget = Math.Round(e2e.WithinTarget, 5);
        report.LatencyMs = PercentilesOf(e2e);
        report.LatencyMsSteady = PercentilesOf(steady);
        report.WithinTargetSteady = Math.Round(steady.WithinTarget, 5);
        report.WarmupSecondsExcluded = PipelineTelemetry.WarmupSeconds;
        report.Scorer = new DemoReport.ScorerInfo { Device = service.ScorerDevice, ModelVersion = service.ModelVersion };
        report.Rules = new DemoReport.RulesInfo { RulesetVersion = service.RulesetVersion };
        foreach (var (name, stats) in stages)
        {
            report.StagesMs[name] = new DemoReport.StagePercentiles { P50 = stats.P50, P99 = stats.P99 };
        }

        report.Challenger = await ChallengerReportAsync(service, store);
        return report;
    }

    /// <summary>What the decisions read back and the store say, however the service ran: counts, exactly-once, throughput, quality.</summary>
    private DemoReport OutcomesReport(DecisionTally tally, TimedStream stream, HashSet<string> warmupIds, TimeSpan elapsed, long stored,
        long deadLettered, long duplicates)
    {
        var (decisionSpan, publishSpan) = stream.Spans(tally.LastReadAt, elapsed);
        var decisions = tally.Snapshot();
        var outcomes = DemoOutcomes.Count(stream.Truth, warmupIds, decisions);
        var produced = stream.Produced;
        var decided = decisions.Count - outcomes.WarmupDecided;
        return new DemoReport
        {
            Produced = produced,
            Decided = decided,
            WarmupTransactions = warmupIds.Count,
            WarmupDecided = outcomes.WarmupDecided,
            DeadLettered = deadLettered,
            DuplicatesSuppressed = duplicates,
            Missing = outcomes.Missing,
            DecidedMoreThanOnce = outcomes.DecidedMoreThanOnce,
            StoredDecisions = stored,
            DurationS = Math.Round(decisionSpan.TotalSeconds, 2),
            RateRequested = settings.Rate,
            ThroughputTps = Math.Round(decided / Math.Max(0.001, decisionSpan.TotalSeconds), 1),
            PublishedTps = Math.Round(produced / Math.Max(0.001, publishSpan.TotalSeconds), 1),
            TargetMs = settings.TargetMs,
            Decisions = outcomes.Decisions,
            Quality = outcomes.Quality(),
            Folder = Path.GetFullPath(settings.Folder),
            // Every transaction, warm-up included, decided once and stored once.
            ExactlyOnce = outcomes.Missing == 0 && outcomes.DecidedMoreThanOnce == 0 && produced > 0 && stored == decisions.Count,
        };
    }

    /// <summary>
    /// The Kafka floor at the same rate, brokers and partitions, with the service's client settings, on a fresh embedded
    /// broker once the service has stopped (so the two do not share the CPU); the service's cost is the steady state
    /// minus the floor.
    /// </summary>
    private void AddFloor(DemoReport report, DecisionServiceOptions service)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"floor: the Kafka path alone for {settings.FloorSeconds:F0} s at {settings.Rate:F0}/s ..."));
        var floor = KafkaFloor.Run(new KafkaFloorOptions
        {
            Brokers = settings.Brokers,
            Partitions = settings.Partitions,
            Rate = settings.Rate,
            Transactions = (int)Math.Max(1, Math.Min(int.MaxValue, settings.Rate * (settings.FloorSeconds + 2))),
            WarmupSeconds = 2,
            ProducerLingerMs = service.ProducerLingerMs,
            SourceLingerMs = settings.SourceLingerMs,
            FetchWaitMaxMs = service.FetchWaitMaxMs,
        }, TextWriter.Null);
        report.Floor = new DemoReport.FloorInfo
        {
            Seconds = settings.FloorSeconds, RateAchieved = Math.Round(floor.AchievedRate, 1), Recorded = floor.Recorded,
            P50 = floor.P50Ms, P99 = floor.P99Ms, P999 = floor.P999Ms,
        };
        if (report.LatencyMsSteady is { } steady)
        {
            report.ServiceCostMs = new DemoReport.CostOverFloor
            {
                P50 = Math.Round(steady.P50 - floor.P50Ms, 3),
                P99 = Math.Round(steady.P99 - floor.P99Ms, 3),
                P999 = Math.Round(steady.P999 - floor.P999Ms, 3),
            };
        }
    }

    private static DemoReport.Percentiles PercentilesOf(LatencyStats stats) =>
        new() { P50 = stats.P50, P90 = stats.P90, P99 = stats.P99, P999 = stats.P999, Max = stats.Max };

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

    /// <summary>With a challenger: what it scored and skipped, and the comparison `models compare` prints, from the same store.</summary>
    private async Task<DemoReport.ChallengerInfo?> ChallengerReportAsync(DecisionService service, FraudStore store)
    {
        if (settings.ChallengerDirectory is null || service.Telemetry.Latest?.Challenger is not { } telemetry)
        {
            return null;
        }

        var pair = await LatestModelPairAsync(store);
        var skipped = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < ChallengerSkips.Count; i++)
        {
            skipped[ChallengerSkips.All[i]] = telemetry.SkippedRows[i];
        }

        return new DemoReport.ChallengerInfo
        {
            Version = pair?.ChallengerVersion ?? telemetry.Version ?? "",
            State = telemetry.State,
            Scored = telemetry.ScoredRows,
            Skipped = skipped,
            MeanComputeMicros = telemetry.Batches == 0 ? 0 : Math.Round(telemetry.ComputeMicros / telemetry.Batches, 1),
            MeanChampionComputeMicros = telemetry.Batches == 0 ? 0 : Math.Round(telemetry.ChampionComputeMicros / telemetry.Batches, 1),
            Comparison = pair is null ? null : ModelComparison.From(pair.ToCounts()),
        };
    }

    /// <summary>The newest champion/challenger pair `models compare` prints (the same store query); null before any shadow score.</summary>
    private static async Task<ModelPairCounts?> LatestModelPairAsync(FraudStore store)
    {
        var pairs = await store.CompareModelsAsync(DateTime.MinValue);
        return pairs.Count > 0 ? pairs[0] : null;
    }

    /// <summary>
    /// With --instances above 1 and a challenger: the comparison summed from the shared store across the instances, as
    /// `models compare` prints it. Scored counts the stored decisions with a challenger score; the per-instance skip
    /// counters stay on each instance's dashboard and /metrics, so Skipped is empty here.
    /// </summary>
    private async Task<DemoReport.ChallengerInfo?> FleetChallengerReportAsync(FraudStore store, int instanceCount)
    {
        if (settings.ChallengerDirectory is null || await LatestModelPairAsync(store) is not { } pair)
        {
            return null;
        }

        var comparison = ModelComparison.From(pair.ToCounts());
        return new DemoReport.ChallengerInfo
        {
            Version = pair.ChallengerVersion,
            State = string.Create(CultureInfo.InvariantCulture, $"shadow on {instanceCount} instances, summed from the store"),
            Scored = comparison.Compared,
            Comparison = comparison,
        };
    }

    private void PrintChallenger(DemoReport.ChallengerInfo? c)
    {
        if (c is null)
        {
            return;
        }

        static string N(double? v) => v is { } x ? x.ToString("F4", CultureInfo.InvariantCulture) : "n/a";
        if (c.Skipped.Count == 0)
        {
            output.WriteLine($"  challenger {c.Version} ({c.State}): scored {c.Scored} (skip counters on each instance's /metrics)");
        }
        else
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  challenger {c.Version} ({c.State}): scored {c.Scored}, skipped {string.Join(", ", c.Skipped.Select(s => $"{s.Key} {s.Value}"))}; compute per batch {c.MeanComputeMicros:F1} µs beside the champion's {c.MeanChampionComputeMicros:F1} µs"));
        }

        if (c.Comparison is { } m)
        {
            output.WriteLine($"    agreement {N(m.Agreement)}, score correlation {N(m.ScoreCorrelation)} over {m.Compared} decisions ({m.Labelled} labelled, {m.LabelledFraud} fraud)");
            output.WriteLine($"    champion:   review {N(m.Champion.ReviewRate)}, decline {N(m.Champion.DeclineRate)}, precision {N(m.Champion.Precision)}, recall {N(m.Champion.Recall)}");
            output.WriteLine($"    challenger: review {N(m.Challenger.ReviewRate)}, decline {N(m.Challenger.DeclineRate)}, precision {N(m.Challenger.Precision)}, recall {N(m.Challenger.Recall)} (would-be)");
        }
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
        if (r.LatencyMs is { } e2e)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  end to end: p50 {e2e.P50:F2} ms, p90 {e2e.P90:F2}, p99 {e2e.P99:F2}, p99.9 {e2e.P999:F2}, max {e2e.Max:F2}; within {r.TargetMs} ms: {r.WithinTarget * 100:F2}%"));
        }

        if (r.LatencyMsSteady is { } steady)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  steady state (after the first {r.WarmupSecondsExcluded} s with traffic): p50 {steady.P50:F2} ms, p90 {steady.P90:F2}, p99 {steady.P99:F2}, p99.9 {steady.P999:F2}; within target {r.WithinTargetSteady * 100:F2}%"));
        }

        PrintInstances(r.Instances);
        PrintChallenger(r.Challenger);
        foreach (var (stage, p) in r.StagesMs)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {stage,-16} p50 {p.P50,8:F3} ms   p99 {p.P99,8:F3} ms"));
        }

        if (r.Floor is { } f && r.ServiceCostMs is { } cost)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  Kafka floor (same path, no decision stages, {f.RateAchieved:F0}/s): p50 {f.P50:F2} ms, p99 {f.P99:F2}, p99.9 {f.P999:F2}; service's own cost (steady − floor): p50 {cost.P50:F2} ms, p99 {cost.P99:F2}, p99.9 {cost.P999:F2}"));
        }

        foreach (var m in r.Minutes)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  minute to {m.EndS,6:F0} s: p50 {m.P50Ms,7:F2} ms  p99 {m.P99Ms,7:F2}  p99.9 {m.P999Ms,7:F2}  within {m.WithinTarget * 100,6:F2}%  rss {m.ResidentMb,6:F0} MB  gen2 {m.Gen2Collections,3}  gc pause {m.GcPauseMs,7:F1} ms"));
        }

        output.WriteLine($"  decisions: approve {r.Decisions.Approve}, review {r.Decisions.Review}, decline {r.Decisions.Decline}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  quality vs simulator truth: precision {r.Quality.Precision:F3}, recall {r.Quality.Recall:F3}, fpr {r.Quality.Fpr:F4} ({r.Quality.Frauds} frauds)"));
        output.WriteLine($"  scorer {r.Scorer.Device}, model {r.Scorer.ModelVersion}; rules {r.Rules.RulesetVersion}");
    }

    /// <summary>
    /// The timed stream's bookkeeping, shared by the publishing task and the runner: each transaction's truth, how many
    /// were published, and when publishing started (after the simulator built its world) and finished.
    /// </summary>
    private sealed class TimedStream(int transactions)
    {
        private long _startedAt = Stopwatch.GetTimestamp();
        private long _publishedAt;
        private long _produced;

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        /// <summary>Id → fraud; written by the publishing task under its lock, read once publishing is done.</summary>
        public IdBook<bool> Truth { get; } = new(transactions);

        public long Produced => Interlocked.Read(ref _produced);

        public void Started() => Interlocked.Exchange(ref _startedAt, Stopwatch.GetTimestamp());

        public void Add(Transaction tx, bool fraud)
        {
            lock (Truth)
            {
                Truth.Set(tx.Id, fraud);
            }

            Interlocked.Increment(ref _produced);
        }

        public void Published() => Interlocked.Exchange(ref _publishedAt, Stopwatch.GetTimestamp());

        /// <summary>
        /// Throughput spans: from the stream's start to the last decision read back from the decisions topic (the done
        /// check polls, so its elapsed time runs past that point), and to the end of publishing.
        /// </summary>
        public (TimeSpan Decisions, TimeSpan Publishing) Spans(long lastReadAt, TimeSpan elapsed)
        {
            var startedAt = Interlocked.Read(ref _startedAt);
            var publishedAt = Interlocked.Read(ref _publishedAt);
            return (lastReadAt > startedAt ? Stopwatch.GetElapsedTime(startedAt, lastReadAt) : elapsed,
                publishedAt > startedAt ? Stopwatch.GetElapsedTime(startedAt, publishedAt) : elapsed);
        }
    }
}
