using System.CommandLine;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Replay;
using FraudStream.Rules.Backtesting;
using FraudStream.Rules.Compilation;
using FraudStream.Rules.Tooling;
using FraudStream.Scoring.Packaging;
using FraudStream.Service.Hosting;
using FraudStream.Storage;
using FraudStream.Training.Data;
using FraudStream.Training.Evaluation;

namespace FraudStream.Service.Cli;

internal static class RulesCommand
{
    public static Command Create()
    {
        var checkFile = new Argument<string>("file") { Description = "Rules file" };
        var check = new Command("check", "Compile a rules file; print errors as path:line:col and exit 1 on any") { checkFile };
        check.SetAction(parse => RulesCheckCommand.Run(parse.GetValue(checkFile)!, Console.Out));

        var file = new Argument<string>("file") { Description = "Candidate rules file" };
        var against = new Option<string?>("--against") { Description = "Current rules file, to count decisions that would change" };
        var db = new Option<string?>("--db") { Description = "Backtest on stored transactions: sqlite:PATH or postgres:CONNSTR" };
        var data = new Option<string?>("--file") { Description = "Backtest on a recorded file (plain or gzip)" };
        var format = new Option<string?>("--format") { Description = "banksim or jsonl (with --file)" };
        var model = CommonOptions.Model();
        var report = new Option<string?>("--json-report") { Description = "Write the report as JSON" };
        var backtest = new Command("backtest", "Replay stored or recorded transactions through features, model and rules; per-rule hits, precision, recall")
        {
            file, against, db, data, format, model, report,
        };
        backtest.SetAction(async (parse, cancellation) =>
        {
            var modelDir = parse.GetValue(model) ?? ShippedFiles.ModelDirectory;
            if (modelDir is null)
            {
                await Console.Error.WriteLineAsync("no model package: pass --model DIR");
                return 2;
            }

            if ((parse.GetValue(db) is null) == (parse.GetValue(data) is null))
            {
                await Console.Error.WriteLineAsync("give exactly one of --db or --file");
                return 2;
            }

            Rules.Runtime.Ruleset candidate;
            Rules.Runtime.Ruleset? baseline = null;
            try
            {
                candidate = RulesHook.CompileFile(parse.GetValue(file)!);
                if (parse.GetValue(against) is { } currentFile)
                {
                    baseline = RulesHook.CompileFile(currentFile);
                }
            }
            catch (RulesCompileException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 1;
            }

            History history;
            Dictionary<string, bool>? labels = null;
            if (parse.GetValue(data) is { } path)
            {
                if (!ReplaySources.TryParseFormat(parse.GetValue(format), out var replayFormat))
                {
                    await Console.Error.WriteLineAsync("--format must be banksim or jsonl");
                    return 2;
                }

                history = HistorySources.File(replayFormat, path);
            }
            else
            {
                if (!StoreLocation.TryParse(parse.GetValue(db), out var location, out var error))
                {
                    await Console.Error.WriteLineAsync(error);
                    return 2;
                }

                (history, labels) = await StoredHistoryAsync(FraudStore.Open(location!), cancellation);
            }

            var rows = new List<(Transaction Tx, float[] Features)>();
            var table = FeatureTable.Build(history.Events, onRow: (_, tx, f) => rows.Add((tx, (float[])f.Clone())), stepOrigin: history.StepOrigin);
            var package = ModelPackage.Load(modelDir);
            var scores = ModelEvaluator.Score(modelDir, package, table);
            var backtestRows = new List<BacktestRow>(rows.Count);
            for (var i = 0; i < rows.Count; i++)
            {
                bool? fraud = labels is null ? table.Label(i) : labels.TryGetValue(rows[i].Tx.Id, out var l) ? l : null;
                backtestRows.Add(new BacktestRow(rows[i].Tx, rows[i].Features, scores[i], fraud));
            }

            var result = RulesBacktester.Run(backtestRows, candidate, baseline,
                new BacktestOptions((float)package.Thresholds.Review, (float)package.Thresholds.Decline));
            var json = result.ToJson();
            Console.WriteLine(json);
            if (parse.GetValue(report) is { } reportPath)
            {
                await File.WriteAllTextAsync(reportPath, json, cancellation);
            }

            return 0;
        });
        return new Command("rules", "Check and backtest rules files") { check, backtest };
    }

    /// <summary>Stored decisions back in event-time order, as history to recompute features from.</summary>
    private static async Task<(History, Dictionary<string, bool>)> StoredHistoryAsync(FraudStore store, CancellationToken cancellation)
    {
        var decisions = await store.GetDecisionsAsync(int.MaxValue, cancellation);
        var labels = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var d in await store.GetLabeledDecisionsAsync(cancellation))
        {
            if (d.Fraud is { } fraud)
            {
                labels[d.Id] = fraud;
            }
        }

        var events = new List<HistoryEvent>(decisions.Count);
        foreach (var d in decisions)
        {
            var tx = new Transaction
            {
                Id = d.Id, Timestamp = DateTime.SpecifyKind(d.EventTs, DateTimeKind.Utc), Card = d.Card, Merchant = d.Merchant, Category = d.Category,
                Amount = d.Amount, Currency = d.Currency, Country = d.Country, Latitude = d.Lat ?? double.NaN, Longitude = d.Lon ?? double.NaN,
                Device = d.Device,
                Channel = d.Channel switch { "pos" => PaymentChannel.Pos, "ecom" => PaymentChannel.Ecom, "atm" => PaymentChannel.Atm, _ => PaymentChannel.Unknown },
            };
            events.Add(HistoryEvent.ForTransaction(tx, labels.TryGetValue(d.Id, out var f) && f));
        }

        return (new History(events, "store"), labels);
    }
}
