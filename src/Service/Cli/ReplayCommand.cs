using System.CommandLine;
using System.Diagnostics;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Ingest.Replay;

namespace FraudStream.Service.Cli;

internal static class ReplayCommand
{
    public static Command Create()
    {
        var bootstrap = CommonOptions.Bootstrap(required: true);
        var file = new Option<string>("--file") { Description = "File to replay (plain or gzip)", Required = true };
        var format = new Option<string>("--format") { Description = "banksim or jsonl", Required = true };
        var rate = new Option<double>("--rate") { Description = "Transactions per second (0 = as fast as possible)", DefaultValueFactory = _ => 0 };
        var command = new Command("replay", "Replay a BankSim or JSON-lines file to Kafka; labels follow at their reported time")
        {
            bootstrap, file, format, rate,
        };
        command.SetAction((parse, cancellation) =>
        {
            if (!ReplaySources.TryParseFormat(parse.GetValue(format), out var replayFormat))
            {
                Console.Error.WriteLine("--format must be banksim or jsonl");
                return Task.FromResult(2);
            }

            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"no such file: {path}");
                return Task.FromResult(2);
            }

            var source = ReplaySources.Create(replayFormat, path);
            using var publisher = new TransactionPublisher(parse.GetValue(bootstrap)!, parse.GetValue(rate), clientId: "fraudstream-replay");
            var clock = Stopwatch.StartNew();
            // Labels wait until the replay's event time passes their reported time: they arrive "later", as chargebacks do.
            var pending = new PriorityQueue<Label, DateTime>();
            long labels = 0;
            foreach (var record in source.Read(cancellation))
            {
                if (record.IsTransaction)
                {
                    var tx = record.Transaction!;
                    while (pending.TryPeek(out _, out var at) && at <= tx.Timestamp)
                    {
                        publisher.Publish(pending.Dequeue());
                        labels++;
                    }

                    publisher.Publish(tx);
                    if (record.Label is { } label)
                    {
                        pending.Enqueue(label, label.ReportedAt);
                    }
                }
                else if (record.IsLabelOnly)
                {
                    pending.Enqueue(record.Label!, record.Label!.ReportedAt);
                }

                if (publisher.Sent % 50_000 == 0 && record.IsTransaction)
                {
                    Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1}s] {publisher.Sent} transactions, {source.Stats.Bad} bad rows");
                }
            }

            while (pending.TryDequeue(out var label, out _))
            {
                publisher.Publish(label);
                labels++;
            }

            var flushed = publisher.Flush(TimeSpan.FromSeconds(60));
            var stats = source.Stats;
            Console.WriteLine($"replayed {stats.Transactions} transactions and {labels} labels from {path} in {clock.Elapsed.TotalSeconds:F1} s; " +
                $"{stats.Bad} bad rows, {publisher.Failed} failed deliveries");
            foreach (var bad in stats.FirstBadRows)
            {
                Console.WriteLine($"  bad row {bad}");
            }

            if (stats.Bad > stats.FirstBadRows.Count)
            {
                Console.WriteLine($"  … and {stats.Bad - stats.FirstBadRows.Count} more");
            }

            return Task.FromResult(flushed && publisher.Failed == 0 ? 0 : 1);
        });
        return command;
    }
}
