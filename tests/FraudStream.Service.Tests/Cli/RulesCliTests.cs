using System.Diagnostics;
using System.Text.Json;
using FraudStream.Ingest.Replay;
using FraudStream.Ingest.Simulation;
using FraudStream.Testing;

namespace FraudStream.Service.Tests.Cli;

/// <summary>`rules check` and `rules backtest` as analysts run them.</summary>
public sealed class RulesCliTests
{
    private static readonly string Executable = Path.Combine(AppContext.BaseDirectory, "fraudstream.dll");

    private static (int Exit, string Output) Run(string args)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{Executable}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Root(),
        };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(180_000), "timed out: " + args);
        return (p.ExitCode, stdout + stderr.Result);
    }

    [Fact]
    public void Rules_check_accepts_the_default_rules_and_reports_errors_with_their_position()
    {
        var ok = Run("rules check data/rules/default.rules");
        Assert.True(ok.Exit == 0, ok.Output);
        var bad = Path.Combine(Directory.CreateTempSubdirectory("fs-rules-").FullName, "bad.rules");
        File.WriteAllText(bad, "rule velocity: review if card.count_1mm >= 5\n");
        var result = Run($"rules check {bad}");
        Assert.Equal(1, result.Exit);
        Assert.Contains(":1:", result.Output, StringComparison.Ordinal);
        Assert.Contains("card.count_1m", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rules_backtest_recomputes_features_from_stored_transactions_and_uses_stored_labels()
    {
        var dir = Directory.CreateTempSubdirectory("fs-backtest-db-").FullName;
        var store = FraudStream.Storage.FraudStore.Open(new FraudStream.Storage.StoreLocation(FraudStream.Storage.StoreProvider.Sqlite, Path.Combine(dir, "store.db")));
        await store.MigrateAsync();
        var rows = new List<FraudStream.Storage.Records.DecisionRecord>();
        var labels = new List<FraudStream.Storage.Records.LabelRecord>();
        foreach (var e in new TransactionSimulator(new SimulatorOptions { Seed = 23, Cards = 400 }).Generate(4_000))
        {
            if (e.Transaction is not { } tx)
            {
                continue;
            }

            rows.Add(new FraudStream.Storage.Records.DecisionRecord
            {
                Id = tx.Id, EventTs = tx.Timestamp, Card = tx.Card, Merchant = tx.Merchant, Category = tx.Category, Amount = tx.Amount,
                Currency = tx.Currency, Country = tx.Country, Lat = tx.HasLocation ? tx.Latitude : null, Lon = tx.HasLocation ? tx.Longitude : null,
                Device = tx.Device, Channel = tx.Channel.ToString().ToLowerInvariant(), Decision = "approve", Reasons = "", ModelVersion = "m",
                RulesetVersion = "r", DecidedAt = DateTime.UtcNow,
            });
            labels.Add(new FraudStream.Storage.Records.LabelRecord { Id = tx.Id, Fraud = e.IsFraud, ReportedAt = tx.Timestamp.AddDays(3) });
        }

        using (var writer = await store.OpenOutcomeWriterAsync())
        {
            writer.Write(rows, []);
            writer.WriteLabels(labels, []);
        }

        var report = Path.Combine(dir, "report.json");
        var result = Run($"rules backtest data/rules/default.rules --db sqlite:{Path.Combine(dir, "store.db")} --model data/model --json-report {report}");
        Assert.True(result.Exit == 0, result.Output);
        var text = File.ReadAllText(report);
        Assert.Contains("card_testing", text, StringComparison.Ordinal);
        Assert.Contains("precision", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_backtest_replays_a_recorded_file_through_features_model_and_rules()
    {
        var dir = Directory.CreateTempSubdirectory("fs-backtest-").FullName;
        var file = Path.Combine(dir, "stream.jsonl.gz");
        JsonLinesWriter.WriteAll(file, new TransactionSimulator(new SimulatorOptions { Seed = 21, Cards = 500 }).Generate(8_000));
        var candidate = Path.Combine(dir, "candidate.rules");
        File.WriteAllText(candidate, "rule big: review if amount > 500\nrule model_decline: decline if score >= model.decline_threshold\n");
        var report = Path.Combine(dir, "report.json");
        var result = Run($"rules backtest {candidate} --against data/rules/default.rules --file {file} --format jsonl --model data/model --json-report {report}");
        Assert.True(result.Exit == 0, result.Output);
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var text = json.RootElement.GetRawText();
        Assert.Contains("\"big\"", text, StringComparison.Ordinal);
        Assert.Contains("changed", text, StringComparison.Ordinal);
        Assert.Contains("precision", text, StringComparison.Ordinal);
    }
}
