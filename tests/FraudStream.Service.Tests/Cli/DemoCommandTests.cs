using System.Diagnostics;
using System.Text.Json;
using FraudStream.Service.Tests.Infrastructure;
using FraudStream.Testing;

namespace FraudStream.Service.Tests.Cli;

/// <summary>The README's first command, small: it must prove exactly-once itself and write the report it prints.</summary>
public sealed class DemoCommandTests
{
    [Fact]
    public async Task The_demo_decides_every_transaction_exactly_once_and_writes_its_json_report()
    {
        var dir = Directory.CreateTempSubdirectory("fs-demo-").FullName;
        var report = Path.Combine(dir, "report.json");
        var psi = new ProcessStartInfo("dotnet",
            $"\"{Path.Combine(AppContext.BaseDirectory, "fraudstream.dll")}\" demo --transactions 4000 --rate 4000 --seed 5 " +
            $"--dashboard-port 0 --floor-seconds 0 --folder {Path.Combine(dir, "run")} --json-report {report}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        using var demo = Process.Start(psi)!;
        var stderr = demo.StandardError.ReadToEndAsync();
        var stdout = await demo.StandardOutput.ReadToEndAsync();
        Assert.True(demo.WaitForExit(180_000), "the demo did not finish");
        demo.WaitForExit();
        Assert.True(demo.ExitCode == 0, stdout + await stderr);
        Assert.Contains("exactly once: yes", stdout, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        var r = json.RootElement;
        Assert.Equal(4000, r.GetProperty("produced").GetInt64());
        Assert.Equal(4000, r.GetProperty("decided").GetInt64());
        Assert.Equal(0, r.GetProperty("dead_lettered").GetInt64());
        Assert.True(r.GetProperty("throughput_tps").GetDouble() > 0);
        Assert.InRange(r.GetProperty("within_target").GetDouble(), 0, 1);
        foreach (var key in (string[])["p50", "p90", "p99", "p999", "max"])
        {
            Assert.True(r.GetProperty("latency_ms").GetProperty(key).GetDouble() > 0, key);
        }

        Assert.True(r.GetProperty("stages_ms").GetProperty("scoring_compute").GetProperty("p99").GetDouble() >= 0);
        var decisions = r.GetProperty("decisions");
        Assert.Equal(4000, decisions.GetProperty("approve").GetInt64() + decisions.GetProperty("review").GetInt64() + decisions.GetProperty("decline").GetInt64());
        Assert.InRange(r.GetProperty("quality").GetProperty("recall").GetDouble(), 0, 1);
        Assert.False(string.IsNullOrEmpty(r.GetProperty("scorer").GetProperty("device").GetString()));
        Assert.False(string.IsNullOrEmpty(r.GetProperty("rules").GetProperty("ruleset_version").GetString()));
    }

    [Fact]
    public async Task A_run_for_a_duration_reports_its_minutes_the_floor_and_each_second()
    {
        var dir = Directory.CreateTempSubdirectory("fs-demo-duration-").FullName;
        var report = Path.Combine(dir, "report.json");
        var timeline = Path.Combine(dir, "timeline.jsonl");
        var (exit, output) = await RunDemoAsync(
            $"--duration 4s --rate 1500 --floor-seconds 2 --dashboard-port 0 --folder {Path.Combine(dir, "run")} --json-report {report} --timeline {timeline}");
        Assert.True(exit == 0, output);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        var r = json.RootElement;
        Assert.Equal(6000, r.GetProperty("produced").GetInt64());
        var minutes = r.GetProperty("minutes");
        Assert.Equal(1, minutes.GetArrayLength());
        var minute = minutes[0];
        // The timed stream's 6,000, plus the warm-up's last decisions when they are recorded after the measurement restarted
        // (2 s of warm-up at 1,500 tx/s at most).
        Assert.InRange(minute.GetProperty("count").GetInt64(), 1, 6000 + 3000);
        Assert.True(minute.GetProperty("p99_ms").GetDouble() >= minute.GetProperty("p50_ms").GetDouble());
        Assert.True(minute.GetProperty("resident_mb").GetDouble() > 0);
        var floor = r.GetProperty("floor");
        Assert.True(floor.GetProperty("recorded").GetInt64() > 0);
        Assert.True(floor.GetProperty("p50").GetDouble() > 0);
        var cost = r.GetProperty("service_cost_ms");
        Assert.Equal(Math.Round(r.GetProperty("latency_ms_steady").GetProperty("p50").GetDouble() - floor.GetProperty("p50").GetDouble(), 3),
            cost.GetProperty("p50").GetDouble(), 3);

        var seconds = await File.ReadAllLinesAsync(timeline);
        Assert.NotEmpty(seconds);
        long counted = 0;
        foreach (var line in seconds)
        {
            using var second = JsonDocument.Parse(line);
            counted += second.RootElement.GetProperty("count").GetInt64();
        }

        // Every second's values went into the minute, none twice.
        Assert.Equal(minute.GetProperty("count").GetInt64(), counted);
    }

    [Fact]
    public async Task Two_instances_split_the_partitions_live_and_decide_every_transaction_exactly_once()
    {
        var dir = Directory.CreateTempSubdirectory("fs-demo-instances-").FullName;
        var report = Path.Combine(dir, "report.json");
        var (exit, output) = await RunDemoAsync(
            $"--instances 2 --transactions 24000 --rate 2000 --seed 5 --dashboard-port 0 --floor-seconds 0 --folder {Path.Combine(dir, "run")} --json-report {report}");
        Assert.True(exit == 0, output);
        Assert.Contains("exactly once: yes", output, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        var r = json.RootElement;
        Assert.Equal(24000, r.GetProperty("produced").GetInt64());
        Assert.Equal(24000, r.GetProperty("decided").GetInt64());
        Assert.Equal(0, r.GetProperty("missing").GetInt64());
        Assert.Equal(0, r.GetProperty("decided_more_than_once").GetInt64());
        Assert.Equal(24000 + r.GetProperty("warmup_transactions").GetInt64(), r.GetProperty("stored_decisions").GetInt64());

        var instances = r.GetProperty("instances");
        Assert.Equal(2, instances.GetProperty("count").GetInt32());
        var members = instances.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(["fraudstream-1", "fraudstream-2"], members.Select(m => m.GetProperty("name").GetString()));
        var decidedBy = members.Select(m => m.GetProperty("partitions_decided").EnumerateArray().Select(p => p.GetInt32()).ToList()).ToList();
        // Both decide some partitions, no partition twice, every one of the six by one of them; and both decided transactions.
        Assert.All(decidedBy, partitions => Assert.NotEmpty(partitions));
        Assert.Equal(Enumerable.Range(0, 6), decidedBy.SelectMany(p => p).Order());
        Assert.All(members, m => Assert.True(m.GetProperty("decided").GetInt64() > 0, m.GetProperty("name").GetString() + " decided nothing\n" + output));

        // The live rebalance: the first instance decided all six, then gave some up to the second, which joined mid-stream.
        var first = members[0].GetProperty("assignments").EnumerateArray().Select(a => a.GetProperty("partitions").GetArrayLength()).ToList();
        Assert.Equal(6, first[0]);
        Assert.True(first[^1] < 6, "the first instance never gave a partition up");
        Assert.True(members[1].GetProperty("started_at_s").GetDouble() > instances.GetProperty("timed_stream_started_at_s").GetDouble());

        // Both were stopped gracefully with the demo, and none outlives it.
        Assert.All(members, m => Assert.Equal(0, m.GetProperty("exit_code").GetInt32()));
        Assert.All(members, m => Assert.False(IsRunning(m.GetProperty("process_id").GetInt32()), m.GetProperty("name").GetString() + " outlived the demo"));
    }

    [Fact]
    public async Task Two_instances_with_a_challenger_report_its_comparison_summed_from_the_shared_store()
    {
        var dir = Directory.CreateTempSubdirectory("fs-demo-instances-challenger-").FullName;
        var challenger = ChallengerPackages.CopyOfChampion(dir, "champion-copy");
        var report = Path.Combine(dir, "report.json");
        var (exit, output) = await RunDemoAsync(
            $"--instances 2 --transactions 8000 --rate 2000 --seed 7 --dashboard-port 0 --floor-seconds 0 --challenger {challenger} --folder {Path.Combine(dir, "run")} --json-report {report}");
        Assert.True(exit == 0, output);
        Assert.Contains("challenger champion-copy (shadow on 2 instances, summed from the store)", output, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        var c = json.RootElement.GetProperty("challenger");
        Assert.Equal("champion-copy", c.GetProperty("version").GetString());
        var comparison = c.GetProperty("comparison");
        // Both instances scored it in shadow into the one store; the same model under another version agrees on every decision.
        Assert.True(comparison.GetProperty("compared").GetInt64() > 0, output);
        Assert.Equal(1.0, comparison.GetProperty("agreement").GetDouble());
    }

    [PostgresFact]
    public async Task Three_instances_share_one_postgres_database_and_decide_every_transaction_exactly_once()
    {
        var dir = Directory.CreateTempSubdirectory("fs-demo-instances-pg-").FullName;
        var report = Path.Combine(dir, "report.json");
        var database = "postgres:" + PostgresServer.Instance.CreateDatabase();
        var (exit, output) = await RunDemoAsync(
            $"--instances 3 --transactions 12000 --rate 2000 --seed 6 --dashboard-port 0 --floor-seconds 0 --db \"{database}\" --folder {Path.Combine(dir, "run")} --json-report {report}");
        Assert.True(exit == 0, output);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        var r = json.RootElement;
        Assert.True(r.GetProperty("exactly_once").GetBoolean(), output);
        Assert.Equal(12000 + r.GetProperty("warmup_transactions").GetInt64(), await Store(database).CountDecisionsAsync());
        var members = r.GetProperty("instances").GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(3, members.Count);
        Assert.All(members, m => Assert.NotEqual(0, m.GetProperty("partitions_decided").GetArrayLength()));
    }

    private static FraudStream.Storage.FraudStore Store(string database)
    {
        Assert.True(FraudStream.Storage.StoreLocation.TryParse(database, out var location, out var error), error);
        return FraudStream.Storage.FraudStore.Open(location!);
    }

    [Fact]
    public async Task Instances_end_when_the_demo_is_killed()
    {
        var dir = Directory.CreateTempSubdirectory("fs-demo-killed-").FullName;
        var psi = DemoProcess($"--instances 2 --transactions 1000000 --rate 1000 --dashboard-port 0 --floor-seconds 0 --folder {Path.Combine(dir, "run")}");
        using var demo = Process.Start(psi)!;
        var pids = new List<int>();
        var lines = new List<string>();
        string? line;
        while ((line = await demo.StandardOutput.ReadLineAsync()) is not null && !line.StartsWith("group formed", StringComparison.Ordinal))
        {
            lines.Add(line);
            var started = System.Text.RegularExpressions.Regex.Match(line, "^started fraudstream-\\d+ \\(pid (\\d+)\\)");
            if (started.Success)
            {
                pids.Add(int.Parse(started.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        Assert.True(line is not null, "the group never formed:\n" + string.Join('\n', lines));
        Assert.Single(pids); // the second joins mid-stream
        demo.Kill(); // SIGKILL: no handler of the demo runs
        demo.WaitForExit();

        // Each stops when its standard input, the demo's pipe, closes; at the latest 30 s later it ends itself.
        foreach (var pid in pids)
        {
            using var instance = TryGetProcess(pid);
            Assert.True(instance is null || instance.WaitForExit(TimeSpan.FromSeconds(90)), $"instance {pid} outlived the demo");
        }
    }

    private static bool IsRunning(int pid)
    {
        using var process = TryGetProcess(pid);
        return process is not null && !process.HasExited;
    }

    private static Process? TryGetProcess(int pid)
    {
        try
        {
            return Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return null; // not running
        }
    }

    [Fact]
    public async Task A_duration_without_a_unit_it_knows_is_refused()
    {
        var (exit, output) = await RunDemoAsync("--duration 10x --dashboard-port 0");
        Assert.Equal(2, exit);
        Assert.Contains("--duration", output, StringComparison.Ordinal);
    }

    private static ProcessStartInfo DemoProcess(string arguments) =>
        new("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "fraudstream.dll")}\" demo {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };

    private static async Task<(int Exit, string Output)> RunDemoAsync(string arguments)
    {
        using var demo = Process.Start(DemoProcess(arguments))!;
        var stderr = demo.StandardError.ReadToEndAsync();
        var stdout = await demo.StandardOutput.ReadToEndAsync();
        Assert.True(demo.WaitForExit(180_000), "the demo did not finish");
        demo.WaitForExit();
        return (demo.ExitCode, stdout + await stderr);
    }
}
