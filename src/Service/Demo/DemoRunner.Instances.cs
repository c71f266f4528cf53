using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FraudStream.Core.Identifiers;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.State;
using FraudStream.Storage;

namespace FraudStream.Service.Demo;

/// <summary>
/// <c>demo --instances N</c>: the service as N `serve` processes in one consumer group (<see cref="DemoInstances"/>) on
/// the demo's embedded broker and one store. N − 1 start first and split the partitions; the last one joins once a
/// quarter of the timed stream is published, so the group rebalances live: partitions move to it (it restores the
/// newest checkpoint and replays) while the others go on deciding theirs. Exactly-once and quality come from the
/// decisions read back and the store, as with one instance; latency is each instance's own, in the report's
/// <c>instances</c> section.
/// </summary>
public sealed partial class DemoRunner
{
    /// <summary>Seconds between the instances' checkpoints: short, so the instance joining mid-stream has one to restore.</summary>
    private const int InstanceCheckpointSeconds = 5;

    /// <summary>The last instance starts once this share of the timed stream is published.</summary>
    private const double LateJoinAt = 0.25;

    private async Task<(int ExitCode, DemoReport Report)> RunInstancesAsync(CancellationToken cancellation)
    {
        Directory.CreateDirectory(settings.Folder);
        output.WriteLine($"demo folder: {Path.GetFullPath(settings.Folder)}");
        var database = StoreDatabase();
        if (!StoreLocation.TryParse(database, out var location, out var error))
        {
            output.WriteLine($"--db '{database}': {error}");
            return (2, new DemoReport());
        }

        using var broker = EmbeddedBroker.Start(brokers: settings.Brokers, partitions: settings.Partitions);
        output.WriteLine($"embedded Kafka (librdkafka mock cluster, {settings.Brokers} brokers, {settings.Partitions} partitions a topic): {broker.BootstrapServers}");
        using var instances = new DemoInstances();
        return await RunInstancesAsync(instances, broker.BootstrapServers, database, FraudStore.Open(location!), cancellation);
    }

    /// <summary>An instance ended by itself: the demo fails (the others are killed as it returns).</summary>
    private (int ExitCode, DemoReport Report) InstanceFailed(DemoInstance instance)
    {
        output.WriteLine($"{instance.Name} exited with code {instance.ExitCode}; its last lines:\n{instance.Tail}\nlogs in {Path.GetFullPath(settings.Folder)}");
        return (1, new DemoReport());
    }

    private async Task<(int ExitCode, DemoReport Report)> RunInstancesAsync(DemoInstances instances, string bootstrap, string database, FraudStore store,
        CancellationToken cancellation)
    {
        var ports = DemoInstances.Ports(settings.DashboardPort, settings.Instances);
        var arguments = ServeArguments(bootstrap, database);
        var environment = InstanceEnvironment();
        DemoInstance StartInstance(int k)
        {
            var instance = instances.Start(k, ports[k - 1], arguments, environment, Path.Combine(settings.Folder, $"instance-{k}.log"));
            output.WriteLine($"started {instance.Name} (pid {instance.ProcessId}): dashboard http://127.0.0.1:{instance.Port}/, log {instance.LogFile}");
            return instance;
        }

        for (var k = 1; k < settings.Instances; k++)
        {
            StartInstance(k);
        }

        var lateName = DemoInstances.ClientId(settings.Instances);
        if (await WaitForGroupAsync(instances, cancellation) is { } failed)
        {
            return InstanceFailed(failed);
        }

        output.WriteLine($"{lateName} joins once {LateJoinAt:P0} of the timed stream is published: the group rebalances live");

        using var tally = new DecisionTally(bootstrap);
        using var publisher = new TransactionPublisher(bootstrap, settings.Rate, clientId: "fraudstream-demo-simulator", lingerMs: settings.SourceLingerMs);
        var settled = new InstancesSettled(instances, tally, store);
        var warmupIds = await WarmUpAsync(publisher, ids => settled.AllAsync(ids), restartMeasurement: null, cancellation);
        var stream = new TimedStream(settings.Transactions);
        var streamStartedAt = instances.Clock.Elapsed.TotalSeconds;
        var publishing = Task.Run(() => PublishTimed(publisher, stream, cancellation), CancellationToken.None);

        DemoInstance? late = null;
        var deadline = TimeSpan.FromSeconds(120 + (settings.Transactions / Math.Max(1, settings.Rate) * 2));
        var nextProgress = TimeSpan.FromSeconds(1);
        TimeSpan elapsed;
        while (true)
        {
            await Task.Delay(100, CancellationToken.None);
            if (instances.Exited() is { } exited)
            {
                return InstanceFailed(exited);
            }

            if (late is null && (stream.Produced >= settings.Transactions * LateJoinAt || publishing.IsCompleted))
            {
                late = StartInstance(settings.Instances);
            }

            elapsed = stream.Clock.Elapsed;
            if (elapsed >= nextProgress)
            {
                await instances.PollAsync();
                PrintInstancesProgress(instances, stream.Produced, elapsed, lateName);
                nextProgress += TimeSpan.FromSeconds(1);
            }

            // Done once everything has its outcome and the late instance has taken its share (the rebalance shown).
            var joined = late?.Latest is { } view && (view.Instance.PartitionsDecided.Count > 0 || settings.Instances > settings.Partitions);
            if ((publishing.IsCompleted && joined && await settled.AllAsync(stream.Produced + warmupIds.Count))
                || cancellation.IsCancellationRequested || elapsed > deadline)
            {
                break;
            }
        }

        await publishing;
        await Task.Delay(1500, CancellationToken.None); // the tally reads the last decisions; each dashboard publishes its last second
        await instances.PollAsync();
        var final = SnapshotMembers(instances);
        instances.StopAll(TimeSpan.FromSeconds(60));
        tally.Dispose();
        var report = OutcomesReport(tally, stream, warmupIds, elapsed, await StoredAsync(store), SumOf(instances, v => v.DeadLettered),
            SumOf(instances, v => v.Duplicates));
        if (instances.Started[0].Latest is { } first)
        {
            report.Scorer = new DemoReport.ScorerInfo { Device = first.Device, ModelVersion = first.ModelVersion };
            report.Rules = new DemoReport.RulesInfo { RulesetVersion = first.RulesetVersion };
        }

        for (var i = 0; i < final.Count; i++)
        {
            final[i].ExitCode = instances.Started[i].ExitCode;
        }

        report.Instances = new DemoReport.InstancesReport
        {
            Count = settings.Instances, LateJoiner = lateName, TimedStreamStartedAtS = Math.Round(streamStartedAt, 2), Members = final,
        };
        report.Challenger = await FleetChallengerReportAsync(store, settings.Instances);
        output.WriteLine();
        if (settings.FloorSeconds > 0 || settings.Timeline is not null)
        {
            output.WriteLine("(the Kafka floor, the minutes and the timeline need the one in-process measurement: not with --instances above 1)");
        }

        PrintReport(report);
        await WriteReportAsync(report);
        return (report.ExactlyOnce ? 0 : 1, report);
    }

    /// <summary>`serve` arguments every instance shares (each adds its own dashboard port).</summary>
    private List<string> ServeArguments(string bootstrap, string database)
    {
        var arguments = new List<string>
        {
            "--bootstrap", bootstrap, "--db", database, "--target-ms", settings.TargetMs.ToString(CultureInfo.InvariantCulture), "--device", settings.Device,
        };
        if (settings.ModelDirectory is { } model)
        {
            arguments.AddRange(["--model", model]);
        }

        if (settings.RulesFile is { } rules)
        {
            arguments.AddRange(["--rules", rules]);
        }

        if (settings.ChallengerDirectory is { } challenger)
        {
            arguments.AddRange(["--challenger", challenger]);
        }

        return arguments;
    }

    /// <summary>The run's token key (one per run, as in process), the simulated world's event-time window, the embedded broker's settings, short checkpoints.</summary>
    private static Dictionary<string, string> InstanceEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["FRAUDSTREAM_Decisions__TokenKey"] = PanTokenizer.NewKey(),
            ["FRAUDSTREAM_" + CheckpointOptions.Section + "__" + nameof(CheckpointOptions.IntervalSeconds)] =
                InstanceCheckpointSeconds.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in SimulatedWorldConfiguration.Concat(EmbeddedBrokerConfiguration))
        {
            environment["FRAUDSTREAM_" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return environment;
    }

    /// <summary>Until the instances started first have split every partition between them; an instance that exited meanwhile, or null.</summary>
    private async Task<DemoInstance?> WaitForGroupAsync(DemoInstances instances, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        while (!cancellation.IsCancellationRequested && clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (instances.Exited() is { } exited)
            {
                return exited;
            }

            await instances.PollAsync();
            var assigned = 0;
            var all = true;
            foreach (var instance in instances.Started)
            {
                all &= instance.Latest is not null;
                assigned += instance.Latest?.Instance.PartitionsDecided.Count ?? 0;
            }

            if (all && assigned == settings.Partitions)
            {
                break;
            }

            await Task.Delay(500, CancellationToken.None);
        }

        var line = new StringBuilder("group formed:");
        foreach (var instance in instances.Started)
        {
            line.Append(CultureInfo.InvariantCulture, $" {instance.Name} decides {Partitions(instance.Latest?.Instance.PartitionsDecided ?? [])};");
        }

        output.WriteLine(line.ToString().TrimEnd(';'));
        return null;
    }

    private void PrintInstancesProgress(DemoInstances instances, long produced, TimeSpan elapsed, string lateName)
    {
        long decided = 0, deadLettered = 0, duplicates = 0;
        double tpsIn = 0, tpsOut = 0;
        var members = new StringBuilder();
        foreach (var instance in instances.Started)
        {
            members.Append(" | ").Append(instance.Name).Append(' ');
            if (instance.Latest is not { } view)
            {
                members.Append("starting");
                continue;
            }

            decided += view.Decided;
            deadLettered += view.DeadLettered;
            duplicates += view.Duplicates;
            tpsIn += view.TpsIn;
            tpsOut += view.TpsOut;
            var checkpoint = view.Instance.Checkpoint;
            members.Append(CultureInfo.InvariantCulture, $"p {Partitions(view.Instance.PartitionsDecided)}");
            if (view.Instance.PartitionsReplaying > 0)
            {
                members.Append(CultureInfo.InvariantCulture, $" replaying {view.Instance.PartitionsReplaying}");
            }

            members.Append(checkpoint.AgeSeconds is { } age ? string.Create(CultureInfo.InvariantCulture, $" ckpt {age:F0}s") : " ckpt -");
            if (view.EndToEndSecond.Count > 0)
            {
                members.Append(CultureInfo.InvariantCulture, $" p99 {view.EndToEndSecond.P99Ms:F1}ms");
            }
        }

        if (instances.Started.Count < settings.Instances)
        {
            members.Append(" | ").Append(lateName).Append(" not started");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{elapsed.TotalSeconds,5:F0}s] produced {produced,8}  decided {decided,8}  in {tpsIn,8:F0}/s  out {tpsOut,8:F0}/s  dlq {deadLettered}  dup {duplicates}  instances {instances.Started.Count}{members}"));
    }

    private void PrintInstances(DemoReport.InstancesReport? instances)
    {
        if (instances is null)
        {
            return;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {instances.Count} instances ({instances.LateJoiner} joined mid-stream); times from the first instance's start, the timed stream from {instances.TimedStreamStartedAtS:F1} s:"));
        foreach (var m in instances.Members)
        {
            var assignments = string.Join(" -> ", m.Assignments.Select(a => string.Create(CultureInfo.InvariantCulture, $"{Partitions(a.Partitions)} at {a.AtS:F1} s")));
            var restored = m.RestoredSeq >= 0
                ? string.Create(CultureInfo.InvariantCulture, $"restored checkpoint {m.RestoredSeq} in {m.RestoreMs:F0} ms")
                : "no checkpoint restored (features rebuilt from the log)";
            var saved = m.CheckpointAgeS is { } a
                ? string.Create(CultureInfo.InvariantCulture, $"last {m.CheckpointBytes / 1024.0:F0} kB, {a:F0} s old, captured in {m.CheckpointCaptureMs:F1} ms")
                : "none saved yet";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {m.Name} (started at {m.StartedAtS:F1} s, port {m.DashboardPort}): decided {m.Decided}; partitions {assignments}; {restored}; " +
                $"checkpoints {m.CheckpointsSaved} saved, {m.CheckpointsFailed} failed, {saved}; " +
                $"own e2e p50 {m.LatencyMs.P50:F2} ms p99 {m.LatencyMs.P99:F2} ms (warm-up included); exit {m.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-"}"));
        }
    }

    private static List<DemoReport.InstanceReport> SnapshotMembers(DemoInstances instances)
    {
        var members = new List<DemoReport.InstanceReport>();
        foreach (var instance in instances.Started)
        {
            var member = new DemoReport.InstanceReport
            {
                Name = instance.Name, ProcessId = instance.ProcessId, DashboardPort = instance.Port, Log = Path.GetFullPath(instance.LogFile),
                StartedAtS = Math.Round(instance.StartedAtS, 2), Assignments = [.. instance.Assignments],
            };
            if (instance.Latest is { } view)
            {
                var checkpoint = view.Instance.Checkpoint;
                var e2e = view.EndToEndCumulative;
                member.PartitionsDecided = [.. view.Instance.PartitionsDecided];
                member.Decided = view.Decided;
                member.DeadLettered = view.DeadLettered;
                member.DuplicatesSuppressed = view.Duplicates;
                member.CheckpointsSaved = checkpoint.Saved;
                member.CheckpointsFailed = checkpoint.Failed;
                member.CheckpointAgeS = checkpoint.AgeSeconds is { } age ? Math.Round(age, 1) : null;
                member.CheckpointBytes = checkpoint.LastBytes;
                member.CheckpointCaptureMs = checkpoint.LastCaptureMs;
                member.RestoredSeq = checkpoint.RestoredSeq;
                member.RestoreMs = checkpoint.RestoreMs;
                member.LatencyMs = new DemoReport.Percentiles { P50 = e2e.P50Ms, P90 = e2e.P90Ms, P99 = e2e.P99Ms, P999 = e2e.P999Ms, Max = e2e.MaxMs };
            }

            members.Add(member);
        }

        return members;
    }

    private static long SumOf(DemoInstances instances, Func<InstanceView, long> value)
    {
        long sum = 0;
        foreach (var instance in instances.Started)
        {
            sum += instance.Latest is { } view ? value(view) : 0;
        }

        return sum;
    }

    private static string Partitions(IReadOnlyList<int> partitions) => partitions.Count == 0 ? "none" : string.Join(',', partitions);

    /// <summary>Decisions in the store; 0 before the first instance has created the table.</summary>
    private static async Task<long> StoredAsync(FraudStore store)
    {
        try
        {
            return await store.CountDecisionsAsync();
        }
        catch (DbException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Whether every published transaction has its outcome: a decision read back from the topic or a dead letter (as the
    /// instances count them, read at most once a second), and every decision read back is in the store.
    /// </summary>
    private sealed class InstancesSettled(DemoInstances instances, DecisionTally tally, FraudStore store)
    {
        private long _polledAt = long.MinValue;

        public async Task<bool> AllAsync(long published)
        {
            if (Environment.TickCount64 - _polledAt >= 1000)
            {
                _polledAt = Environment.TickCount64;
                await instances.PollAsync();
            }

            var decided = tally.Distinct;
            return decided + SumOf(instances, v => v.DeadLettered) >= published && await StoredAsync(store) >= decided;
        }
    }
}
