using System.Diagnostics;
using System.Text.Json;

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
    public async Task A_duration_without_a_unit_it_knows_is_refused()
    {
        var (exit, output) = await RunDemoAsync("--duration 10x --dashboard-port 0");
        Assert.Equal(2, exit);
        Assert.Contains("--duration", output, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output)> RunDemoAsync(string arguments)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "fraudstream.dll")}\" demo {arguments}")
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
        return (demo.ExitCode, stdout + await stderr);
    }
}
