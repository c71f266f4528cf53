using System.Diagnostics;
using FraudStream.Service.Tests.Infrastructure;
using FraudStream.Storage;

namespace FraudStream.Service.Tests.Cli;

/// <summary>The real executable, as an operator runs it: broker, simulate and serve as separate processes.</summary>
public sealed class CommandLineTests
{
    private static readonly string Executable = Path.Combine(AppContext.BaseDirectory, "fraudstream.dll");

    private static Process Start(string args, List<string> output, Dictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{Executable}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.Environment["FRAUDSTREAM_Decisions__TokenKey"] = TestServeSettings.TokenKey;
        foreach (var (name, value) in environment ?? [])
        {
            psi.Environment[name] = value;
        }

        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.Add(e.Data); } } };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.Add(e.Data); } } };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>Waits for exit, then for the asynchronous output readers to drain (WaitForExit(ms) alone does not).</summary>
    private static bool Exited(Process p, int milliseconds)
    {
        if (!p.WaitForExit(milliseconds))
        {
            return false;
        }

        p.WaitForExit();
        return true;
    }

    private static void Terminate(Process p)
    {
        // SIGTERM, as a process manager stops the service.
        using var kill = Process.Start("kill", $"-TERM {p.Id}");
        kill.WaitForExit();
    }

    [Fact]
    public async Task Serve_stops_cleanly_on_SIGTERM_and_a_restart_decides_nothing_again()
    {
        var dir = Directory.CreateTempSubdirectory("fs-cli-").FullName;
        var bootstrapFile = Path.Combine(dir, "bootstrap");
        var brokerLog = new List<string>();
        using var broker = Start($"broker --brokers 1 --partitions 3 --bootstrap-file {bootstrapFile}", brokerLog);
        try
        {
            await RunningServiceWait(() => Task.FromResult(File.Exists(bootstrapFile) && new FileInfo(bootstrapFile).Length > 0), "the broker's address");
            var bootstrap = (await File.ReadAllTextAsync(bootstrapFile)).Trim();
            var db = "sqlite:" + Path.Combine(dir, "store.db");
            var store = FraudStore.Open(new StoreLocation(StoreProvider.Sqlite, Path.Combine(dir, "store.db")));

            var serveLog = new List<string>();
            using var serve = Start($"serve --bootstrap {bootstrap} --db {db} --dashboard-port 0", serveLog);
            var simLog = new List<string>();
            using (var simulate = Start($"simulate --bootstrap {bootstrap} --count 2000 --rate 0 --seed 3", simLog))
            {
                Assert.True(Exited(simulate, 120_000), "simulate did not finish");
                Assert.True(simulate.ExitCode == 0, string.Join('\n', simLog));
            }

            await RunningServiceWait(async () => await CountOrZeroAsync(store) == 2000, "2000 stored decisions");
            Terminate(serve);
            Assert.True(Exited(serve, 60_000), "serve did not stop after SIGTERM");
            Assert.Equal(0, serve.ExitCode);
            Assert.Contains(serveLog, l => l.Contains("stopped after 2000 decisions", StringComparison.Ordinal));

            // A second instance resumes from the committed offsets: nothing is redelivered or decided again.
            var secondLog = new List<string>();
            using var second = Start($"serve --bootstrap {bootstrap} --db {db} --dashboard-port 0", secondLog);
            await Task.Delay(TimeSpan.FromSeconds(8));
            Terminate(second);
            Assert.True(Exited(second, 60_000));
            Assert.Equal(2000, await store.CountDecisionsAsync());
            Assert.Contains(secondLog, l => l.Contains("stopped after 0 decisions", StringComparison.Ordinal));
        }
        finally
        {
            Terminate(broker);
            Exited(broker, 10_000);
        }
    }

    [Fact]
    public void Serve_without_a_bootstrap_address_fails_with_a_clear_message()
    {
        var log = new List<string>();
        using var serve = Start("serve --db sqlite:" + Path.Combine(Path.GetTempPath(), "fs-none.db"), log);
        Assert.True(Exited(serve, 60_000));
        Assert.Equal(2, serve.ExitCode);
        Assert.Contains(log, l => l.Contains("Bootstrap", StringComparison.Ordinal) && l.Contains("required", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("FRAUDSTREAM_Scoring__MaxBatchSize", "0", "configuration error: Scoring:MaxBatchSize must be 1..65536")]
    [InlineData("FRAUDSTREAM_Scoring__MaxWaitMicros", "-5", "configuration error: Scoring:MaxWaitMicros must be 0 or more")]
    [InlineData("FRAUDSTREAM_Scoring__Device", "gpu", "'Scoring:Device'")]
    public void Serve_with_an_invalid_scoring_setting_exits_2_with_one_line_naming_it(string variable, string value, string expected)
    {
        var log = new List<string>();
        using var serve = Start("serve --bootstrap 127.0.0.1:9 --dashboard-port 0 --db sqlite:" + Path.Combine(Path.GetTempPath(), "fs-invalid.db"), log,
            new Dictionary<string, string> { [variable] = value });
        Assert.True(Exited(serve, 60_000));
        Assert.True(serve.ExitCode == 2, string.Join('\n', log));
        Assert.Contains(log, l => l.StartsWith("configuration error: ", StringComparison.Ordinal) && l.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    [Fact]
    public void Serve_with_a_rules_file_that_does_not_compile_exits_2_with_its_position_and_no_stack_trace()
    {
        var dir = Directory.CreateTempSubdirectory("fs-bad-rules-").FullName;
        var rules = Path.Combine(dir, "bad.rules");
        File.WriteAllText(rules, "rule big: review if amount >\n");
        var log = new List<string>();
        using var serve = Start($"serve --bootstrap 127.0.0.1:9 --dashboard-port 0 --model none --rules {rules} --db sqlite:{Path.Combine(dir, "store.db")}", log);
        Assert.True(Exited(serve, 60_000));
        Assert.True(serve.ExitCode == 2, string.Join('\n', log));
        Assert.Contains(log, l => l.StartsWith("configuration error: Rules:File (--rules)", StringComparison.Ordinal) && l.Contains("1:", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Replay_reports_bad_rows_with_line_numbers_and_publishes_the_good_ones()
    {
        using var broker = FraudStream.Ingest.Kafka.EmbeddedBroker.Start(brokers: 1, partitions: 2);
        var dir = Directory.CreateTempSubdirectory("fs-replay-").FullName;
        var file = Path.Combine(dir, "tx.jsonl");
        var good = System.Text.Encoding.UTF8.GetString(FraudStream.Core.Contracts.TransactionJson.Serialize(Infrastructure.TestTransactions.Make(1)));
        var good2 = System.Text.Encoding.UTF8.GetString(FraudStream.Core.Contracts.TransactionJson.Serialize(Infrastructure.TestTransactions.Make(2)));
        await File.WriteAllLinesAsync(file, [good, "{not json", good2, good.Replace("\"EUR\"", "\"EUX\"", StringComparison.Ordinal)]);
        var log = new List<string>();
        using var replay = Start($"replay --bootstrap {broker.BootstrapServers} --file {file} --format jsonl", log);
        Assert.True(Exited(replay, 60_000));
        Assert.True(replay.ExitCode == 0, string.Join('\n', log));
        Assert.Contains(log, l => l.Contains("replayed 2 transactions", StringComparison.Ordinal) && l.Contains("2 bad rows", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("line 2", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("line 4", StringComparison.Ordinal));
        var published = Infrastructure.RunningService.ReadTopic(broker.BootstrapServers, FraudStream.Core.Contracts.Topics.Transactions, 2, TimeSpan.FromSeconds(20));
        Assert.Equal(2, published.Count);
    }

    /// <summary>The serving process creates and migrates the store; until it has, there is nothing to count.</summary>
    private static async Task<long> CountOrZeroAsync(FraudStore store)
    {
        try
        {
            return await store.CountDecisionsAsync();
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return 0;
        }
    }

    private static async Task RunningServiceWait(Func<Task<bool>> condition, string what) =>
        await Infrastructure.RunningService.WaitForAsync(condition, TimeSpan.FromSeconds(90), what);
}
