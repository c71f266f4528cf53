using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Processing;
using FraudStream.Service.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FraudStream.Service.Tests.Pipeline;

/// <summary>
/// Issue 12's hostile corpus: 10,000 generated hostile messages (<see cref="HostileCorpus"/>) among 2,000 good
/// transactions, and 101 labels, through the real service on the embedded broker. Every message written is accounted for
/// by the partition and offset it was written at: exactly one decision or exactly one dead letter (with the reason where
/// it is certain), in the store and on the topics, an identical re-send neither; no digits of a planted card number in
/// any table, topic key, value or header; and the service still decides what comes after.
/// </summary>
[Collection(nameof(HostileCorpusTests))]
public sealed class HostileCorpusTests(ITestOutputHelper output)
{
    private const int Seed = 20261202;
    private const int GoodCount = 2_000;
    private const int HostileCount = 10_000;
    private const int FinalCount = 200;

    [Fact]
    public void The_parser_reads_every_corpus_message_without_throwing()
    {
        var corpus = HostileCorpus.Generate(Seed, GoodCount, HostileCount);
        Assert.True(corpus.Transactions.Count >= GoodCount + HostileCount);
        output.WriteLine($"{corpus.Transactions.Count:N0} transactions, {corpus.Transactions.Sum(m => (long)m.Value.Length):N0} bytes");
        var tx = new Transaction();
        var wrong = new SortedDictionary<string, (int Count, string Example)>(StringComparer.Ordinal);
        var thrown = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var current = "";
        var testThread = Environment.CurrentManagedThreadId;
        void OnThrown(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (Environment.CurrentManagedThreadId == testThread)
            {
                var what = $"{current}: {e.Exception.GetType().Name} ({e.Exception.Message.Split('.')[0]})";
                thrown[what] = thrown.GetValueOrDefault(what) + 1;
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += OnThrown;
        foreach (var m in corpus.Transactions)
        {
            // A throw here is a worker thread dying in the service.
            current = m.Category;
            var parsed = TransactionJson.TryParse(m.Value, tx, out var error);
            var reason = parsed ? null : error.Reason.ToCode();
            if (m.Expected == Expected.DeadLettered && m.Reason is { } expected && expected is not ("timestamp_out_of_range" or "conflicting_duplicate") && reason != expected)
            {
                Note(wrong, $"{m.Category}: expected {expected}, parsed as {reason ?? "valid"}", m.Value);
            }

            if (m.Expected == Expected.Decided && !parsed)
            {
                Note(wrong, $"{m.Category}: expected valid, refused {error.Reason.ToCode()}", m.Value);
            }
        }

        AppDomain.CurrentDomain.FirstChanceException -= OnThrown;
        foreach (var group in thrown.GroupBy(t => t.Key[..t.Key.IndexOf(" (", StringComparison.Ordinal)], StringComparer.Ordinal))
        {
            output.WriteLine($"thrown while parsing {group.Key}: {group.Sum(t => t.Value)}");
        }

        // What a refusal costs by how it is reached: a reason the parser returns, or an exception the reader throws.
        // A measurement for the report, not an assertion (speed is for benchmarks).
        foreach (var byOutcome in corpus.Transactions.GroupBy(m => TransactionJson.TryParse(m.Value, tx, out var e) ? "valid" : e.Reason.ToCode(), StringComparer.Ordinal))
        {
            var messages = byOutcome.ToList();
            var watch = Stopwatch.StartNew();
            for (var round = 0; round < 5; round++)
            {
                foreach (var m in messages)
                {
                    TransactionJson.TryParse(m.Value, tx, out _);
                }
            }

            output.WriteLine($"parse {byOutcome.Key}: {messages.Count} messages, {watch.Elapsed.TotalMicroseconds / (5.0 * messages.Count):F1} µs each");
        }

        Assert.True(wrong.Count == 0, string.Join('\n', wrong.Select(w => $"{w.Key} ({w.Value.Count}), e.g. {w.Value.Example}")));
    }

    private static void Note(SortedDictionary<string, (int Count, string Example)> wrong, string what, byte[] value)
    {
        wrong[what] = wrong.TryGetValue(what, out var seen) ? (seen.Count + 1, seen.Example) : (1, Preview(value));
    }

    [Theory]
    [MemberData(nameof(DecisionServiceTests.Stores), MemberType = typeof(DecisionServiceTests))]
    public async Task Every_message_of_the_hostile_corpus_ends_as_one_decision_or_one_dead_letter(string store)
    {
        var clock = Stopwatch.StartNew();
        var corpus = HostileCorpus.Generate(Seed, GoodCount, HostileCount);
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 6);
        var settings = TestServeSettings.OnBroker(broker) with
        {
            Database = store == "sqlite" ? "sqlite:" + TestServeSettings.NewSqliteFile() : "postgres:" + Testing.PostgresServer.Instance.CreateDatabase(),
        };
        await using var service = await RunningService.StartAsync(settings);
        var thrown = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        void OnThrown(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            // The service's own threads (workers, consumer, store writer, labels): what the corpus makes them throw.
            if (Thread.CurrentThread.Name is { } name && name.StartsWith("fs-", StringComparison.Ordinal))
            {
                thrown.AddOrUpdate($"{(name.StartsWith("fs-worker", StringComparison.Ordinal) ? "fs-worker" : name)}: {e.Exception.GetType().Name}", 1, (_, n) => n + 1);
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += OnThrown;

        // The first 200, then the rest once they are stored: the group has committed by then, so the embedded broker
        // keeps what it has not (before a first commit a partition keeps the mock's 5 MiB, and the corpus is ~16 MB).
        var messages = corpus.Transactions.Select(m => (m.Key, m.Value, m.Headers, m.Timestamp)).ToList();
        var written = Publish(broker.BootstrapServers, Topics.Transactions, messages[..200]);
        var first = corpus.Transactions.Take(200).Count(m => m.Expected != Expected.Resent);
        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() + await service.Store.CountDeadLettersAsync() >= first,
            TimeSpan.FromSeconds(30), $"the first {first} outcomes");
        await Task.Delay(500); // a commit (every 50 ms) and a trim tick
        written.AddRange(Publish(broker.BootstrapServers, Topics.Transactions, messages[200..]));
        var labelsWritten = Publish(broker.BootstrapServers, Topics.Labels, corpus.Labels.Select(l => (l.Key, l.Value, (Headers?)null, Timestamp.Default)).ToList());
        output.WriteLine($"published {written.Count} transactions and {labelsWritten.Count} labels in {clock.Elapsed.TotalSeconds:F1} s");

        var outcomes = corpus.Transactions.Count(m => m.Expected != Expected.Resent);
        var badLabels = corpus.Labels.Count(l => !l.Valid);
        var goodLabels = corpus.Labels.Count - badLabels;
        // Until everything expected is stored, or nothing more arrives for 5 s (then the accounting below says what is off).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        var (last, quietSince) = (-1L, DateTime.UtcNow);
        while (true)
        {
            var now = await service.Store.CountDecisionsAsync() + await service.Store.CountDeadLettersAsync() + service.Service.LabelsReceived;
            if (now >= outcomes + badLabels + goodLabels)
            {
                break;
            }

            (last, quietSince) = now == last ? (last, quietSince) : (now, DateTime.UtcNow);
            if (DateTime.UtcNow - quietSince > TimeSpan.FromSeconds(5))
            {
                output.WriteLine($"stored outcomes stopped at {now} of {outcomes + badLabels + goodLabels}: {await WhereItStandsAsync(broker.BootstrapServers, service, written)}");
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {outcomes} outcomes, {goodLabels} labels and {badLabels} bad labels: " +
                $"{now} stored; {await WhereItStandsAsync(broker.BootstrapServers, service, written)}");
            await Task.Delay(100);
        }

        output.WriteLine($"all outcomes stored after {clock.Elapsed.TotalSeconds:F1} s");

        // The store, by source position.
        var decisions = await service.Store.GetDecisionsAsync(int.MaxValue);
        var deadLetters = await service.Store.GetDeadLettersAsync(int.MaxValue);
        var storedDecision = decisions.GroupBy(d => (d.SourcePartition, d.SourceOffset)).ToDictionary(g => g.Key, g => g.ToList());
        var storedDead = deadLetters.Where(d => d.SourceTopic == Topics.Transactions)
            .GroupBy(d => (d.SourcePartition, d.SourceOffset)).ToDictionary(g => g.Key, g => g.ToList());
        var storedBadLabels = deadLetters.Where(d => d.SourceTopic == Topics.Labels)
            .GroupBy(d => (d.SourcePartition, d.SourceOffset)).ToDictionary(g => g.Key, g => g.ToList());

        // The topics, by source position (decisions: the fs.source header; dead letters: dlq.source.*).
        var decidedCount = decisions.Count;
        var deadCount = deadLetters.Count(d => d.SourceTopic == Topics.Transactions);
        var decisionTopic = RunningService.ReadTopic(broker.BootstrapServers, Topics.Decisions, decidedCount, TimeSpan.FromSeconds(60));
        var dlqTopic = RunningService.ReadTopic(broker.BootstrapServers, Topics.DeadLetters, deadCount, TimeSpan.FromSeconds(60));
        var topicDecision = decisionTopic.GroupBy(r => SourceOf(r)).ToDictionary(g => g.Key, g => g.Select(r => DecisionMessage.Parse(r.Message.Value)).ToList());
        var topicDead = dlqTopic.GroupBy(r => (int.Parse(Header(r, "dlq.source.partition")), long.Parse(Header(r, "dlq.source.offset"))))
            .ToDictionary(g => g.Key, g => g.Select(r => Header(r, "dlq.reason")).ToList());
        Assert.Equal(decisionTopic.Count, decisionTopic.Select(r => DecisionMessage.Parse(r.Message.Value).Id).Distinct().Count()); // no id decided twice

        AppDomain.CurrentDomain.FirstChanceException -= OnThrown;
        output.WriteLine("exceptions thrown on the service's threads: " + (thrown.IsEmpty ? "none" : string.Join(", ", thrown.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"))));
        // A worker throws only where System.Text.Json's reader has no other way to say no (a malformed document, an
        // escaped lone surrogate), and the parser catches those; nothing else may be thrown per message.
        Assert.All(thrown.Keys.Where(k => k.StartsWith("fs-worker", StringComparison.Ordinal)),
            k => Assert.True(k.EndsWith(": JsonReaderException", StringComparison.Ordinal) || k.EndsWith(": InvalidOperationException", StringComparison.Ordinal), k));
        output.WriteLine($"store and topics read after {clock.Elapsed.TotalSeconds:F1} s");
        var failures = new List<string>();
        var table = new SortedDictionary<string, SortedDictionary<string, int>>(StringComparer.Ordinal);
        for (var k = 0; k < corpus.Transactions.Count; k++)
        {
            var m = corpus.Transactions[k];
            var at = written[k];
            var inStore = (storedDecision.GetValueOrDefault(at)?.Count ?? 0, storedDead.GetValueOrDefault(at)?.Count ?? 0);
            var onTopic = (topicDecision.GetValueOrDefault(at)?.Count ?? 0, topicDead.GetValueOrDefault(at)?.Count ?? 0);
            string outcome;
            if (inStore == (1, 0) && onTopic == (1, 0))
            {
                outcome = "decided";
                var id = storedDecision[at][0].Id;
                if (topicDecision[at][0].Id != id)
                {
                    failures.Add($"{m.Category} at {at}: stored as {id}, on the topic as {topicDecision[at][0].Id}");
                }

                if (m.Id is { } sent && !id.Equals(sent, StringComparison.Ordinal))
                {
                    failures.Add($"{m.Category} at {at}: decided as '{id}', sent as '{sent}'");
                }
            }
            else if (inStore == (0, 1) && onTopic == (0, 1))
            {
                outcome = storedDead[at][0].Reason;
                if (topicDead[at][0] != outcome)
                {
                    failures.Add($"{m.Category} at {at}: stored as {outcome}, on the topic as {topicDead[at][0]}");
                }
            }
            else if (inStore == (0, 0) && onTopic == (0, 0))
            {
                outcome = "no outcome (duplicate)";
            }
            else
            {
                outcome = $"store {inStore}, topics {onTopic}";
            }

            var expected = m.Expected switch
            {
                Expected.Decided => outcome == "decided",
                Expected.DeadLettered => m.Reason is { } reason ? outcome == reason : outcome is not ("decided" or "no outcome (duplicate)") && !outcome.StartsWith("store", StringComparison.Ordinal),
                Expected.Either => !outcome.StartsWith("store", StringComparison.Ordinal) && outcome != "no outcome (duplicate)",
                _ => outcome == "no outcome (duplicate)",
            };
            if (!expected)
            {
                failures.Add($"{m.Category} at {at}: expected {m.Expected} {m.Reason}, got {outcome}: {Preview(m.Value)}");
            }

            Count(table, m.Category, outcome);
        }

        for (var k = 0; k < corpus.Labels.Count; k++)
        {
            var label = corpus.Labels[k];
            var dead = storedBadLabels.GetValueOrDefault(labelsWritten[k]);
            var outcome = dead is null ? "stored as a label" : dead.Count == 1 ? dead[0].Reason : $"{dead.Count} dead letters";
            if (label.Valid ? dead is not null : dead is null || dead.Count != 1 || (label.Reason is { } r && dead[0].Reason != r))
            {
                failures.Add($"{label.Category} at {labelsWritten[k]}: expected {(label.Valid ? "stored" : label.Reason)}, got {outcome}: {Preview(label.Value)}");
            }

            Count(table, label.Category, outcome);
        }

        output.WriteLine(Table(table));

        // No planted card number, whole or without its last four digits, anywhere the service wrote.
        var everything = new StringBuilder();
        foreach (var r in decisionTopic.Concat(dlqTopic))
        {
            everything.AppendLine(Text(r.Message.Key)).AppendLine(Text(r.Message.Value));
            foreach (var h in r.Message.Headers)
            {
                everything.Append(h.Key).Append('=').AppendLine(Text(h.GetValueBytes()));
            }
        }

        everything.Append(await PanLeakTests.DumpStoreAsync(service.Store));
        var dump = everything.ToString();
        Assert.Contains("good-000001", dump, StringComparison.Ordinal);
        var leaks = Leaks(dump, corpus.PlantedPans);
        output.WriteLine($"{dump.Length:N0} characters searched for {corpus.PlantedPans.Count} card numbers after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.NotEmpty(Leaks($"x{corpus.PlantedPans[0].Pan}x", corpus.PlantedPans)); // the search finds what is there
        Assert.True(failures.Count == 0 && leaks.Count == 0, $"{failures.Count} messages not accounted for as expected:\n" + string.Join('\n', failures.Take(30)) +
            $"\n{leaks.Count} card numbers written in clear: " + string.Join(", ", leaks.Distinct().Take(20)));
        Assert.Equal(goodLabels, service.Service.LabelsReceived);

        // Still healthy: it decides what comes next, every one once, and its host is running.
        var final = Enumerable.Range(0, FinalCount).Select(i => HostileCorpus.Good($"final-{i:D4}", i)).ToList();
        Publish(broker.BootstrapServers, Topics.Transactions, final.Select(m => (m.Key, m.Value, m.Headers, m.Timestamp)).ToList());
        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == decidedCount + FinalCount,
            TimeSpan.FromSeconds(30), $"the {FinalCount} transactions after the corpus decided");
        foreach (var m in final.Take(5))
        {
            Assert.NotNull(await service.Store.GetDecisionAsync(m.Id!));
        }

        Assert.False(service.Service.ExecuteTask?.IsCompleted ?? true, "the decision service stopped");
        output.WriteLine($"{store}: {corpus.Transactions.Count} transactions ({decidedCount} decided, {deadCount} dead-lettered), {corpus.Labels.Count} labels, {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Per partition: what was written (first and last offset), what the broker holds (watermarks), what was stored.</summary>
    private static async Task<string> WhereItStandsAsync(string bootstrap, RunningService service, List<(int Partition, long Offset)> written)
    {
        var config = KafkaClients.ConsumerConfig(bootstrap, "diag-" + Guid.NewGuid().ToString("N")[..8], "diag");
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        var decided = await service.Store.GetDecisionsAsync(int.MaxValue);
        var dead = await service.Store.GetDeadLettersAsync(int.MaxValue);
        var sb = new StringBuilder();
        foreach (var partition in written.Select(w => w.Partition).Distinct().Order())
        {
            var marks = consumer.QueryWatermarkOffsets(new TopicPartition(Topics.Transactions, partition), TimeSpan.FromSeconds(10));
            var mine = written.Where(w => w.Partition == partition).Select(w => w.Offset).ToList();
            var stored = decided.Count(d => d.SourcePartition == partition) + dead.Count(d => d.SourceTopic == Topics.Transactions && d.SourcePartition == partition);
            var last = decided.Where(d => d.SourcePartition == partition).Select(d => d.SourceOffset)
                .Concat(dead.Where(d => d.SourceTopic == Topics.Transactions && d.SourcePartition == partition).Select(d => d.SourceOffset)).DefaultIfEmpty(-1).Max();
            sb.Append($"p{partition}: written {mine.Min()}..{mine.Max()}, broker {marks.Low.Value}..{marks.High.Value}, stored {stored} up to {last}; ");
        }

        return sb.ToString();
    }

    /// <summary>Writes the messages in order and returns the partition and offset each was written at.</summary>
    private static List<(int Partition, long Offset)> Publish(string bootstrap, string topic, List<(byte[]? Key, byte[] Value, Headers? Headers, Timestamp Timestamp)> messages)
    {
        var config = KafkaClients.ProducerConfig(bootstrap, "corpus-" + topic);
        config.MessageMaxBytes = 1_000_000;
        using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        var at = new (int, long)[messages.Count];
        var failed = 0;
        for (var k = 0; k < messages.Count; k++)
        {
            var (key, value, headers, timestamp) = messages[k];
            if (headers is null || headers.Count == 0)
            {
                var created = new byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(created, (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10);
                headers = new Headers { { TransactionPublisher.CreatedHeader, created } };
            }

            var index = k;
            producer.Produce(topic, new Message<byte[], byte[]> { Key = key!, Value = value, Headers = headers, Timestamp = timestamp }, report =>
            {
                if (report.Error.IsError)
                {
                    Interlocked.Increment(ref failed);
                }

                at[index] = (report.Partition.Value, report.Offset.Value);
            });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, failed);
        return [.. at];
    }

    private static (int, long) SourceOf(ConsumeResult<byte[], byte[]> r)
    {
        Assert.True(SourcePosition.TryRead(r.Message.Headers, out var partition, out var offset), "a decision without its fs.source header");
        return (partition, offset);
    }

    private static string Header(ConsumeResult<byte[], byte[]> r, string name) => Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes(name));

    private static void Count(SortedDictionary<string, SortedDictionary<string, int>> table, string category, string outcome)
    {
        if (!table.TryGetValue(category, out var row))
        {
            table[category] = row = new(StringComparer.Ordinal);
        }

        row[outcome] = row.GetValueOrDefault(outcome) + 1;
    }

    private static string Table(SortedDictionary<string, SortedDictionary<string, int>> table)
    {
        var sb = new StringBuilder("| category | messages | outcomes |\n|---|---|---|\n");
        foreach (var (category, row) in table)
        {
            sb.Append($"| {category} | {row.Values.Sum():N0} | ")
              .Append(string.Join(", ", row.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:N0}")))
              .Append(" |\n");
        }

        return sb.ToString();
    }

    /// <summary>
    /// Each planted card number found in <paramref name="dump"/>: its digits, its digits without the last four, or its
    /// written form without the last four. One pass: every run of digits and separators is looked up by each 9-digit
    /// window of its digits (9: a 13-digit number without its last four), and only a hit is compared in full.
    /// </summary>
    private static List<string> Leaks(string dump, IReadOnlyList<(string Pan, string Case)> pans)
    {
        var byPrefix = new Dictionary<string, List<(string Needle, string Pan, string Case)>>(StringComparer.Ordinal);
        foreach (var (pan, planted) in pans)
        {
            var digits = new string(pan.Where(char.IsAsciiDigit).ToArray());
            if (!byPrefix.TryGetValue(digits[..9], out var list))
            {
                byPrefix[digits[..9]] = list = [];
            }

            foreach (var needle in new[] { digits, digits[..^4], pan[..^4] })
            {
                list.Add((needle, pan, planted));
            }
        }

        var lookup = byPrefix.GetAlternateLookup<ReadOnlySpan<char>>();
        var leaks = new List<string>();
        var window = new char[dump.Length > 0 ? Math.Min(dump.Length, 1 << 20) : 1];
        for (var i = 0; i < dump.Length;)
        {
            if (!IsNumberChar(dump[i]))
            {
                i++;
                continue;
            }

            var start = i;
            var n = 0;
            while (i < dump.Length && IsNumberChar(dump[i]))
            {
                if (char.IsAsciiDigit(dump[i]) && n < window.Length)
                {
                    window[n++] = dump[i];
                }

                i++;
            }

            for (var p = 0; p + 9 <= n; p++)
            {
                if (lookup.TryGetValue(window.AsSpan(p, 9), out var candidates))
                {
                    var run = dump.AsSpan(start, i - start);
                    foreach (var (needle, pan, planted) in candidates)
                    {
                        if (run.Contains(needle, StringComparison.Ordinal))
                        {
                            leaks.Add($"'{needle}' (of {pan}, {planted})");
                        }
                    }
                }
            }
        }

        return leaks;
    }

    private static bool IsNumberChar(char c) => char.IsAsciiDigit(c) || c is ' ' or '-' or '.';

    private static string Text(byte[]? bytes) => bytes is null ? "" : Encoding.UTF8.GetString(bytes);

    private static string Preview(byte[] value)
    {
        var text = Encoding.UTF8.GetString(value.AsSpan(0, Math.Min(value.Length, 160)));
        return StorableText.Sanitize(text) + (value.Length > 160 ? $"… ({value.Length} bytes)" : "");
    }
}

/// <summary>
/// The corpus runs alone: it counts the exceptions thrown on the service's threads (by name, process-wide), and another
/// test's service shutting down meanwhile would be counted too.
/// </summary>
[CollectionDefinition(nameof(HostileCorpusTests), DisableParallelization = true)]
public sealed class HostileCorpusCollection;
