using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Processing;
using FraudStream.Service.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FraudStream.Service.Tests.State;

/// <summary>
/// Dead letters across <c>kill -9</c>s: the simulated stream with malformed messages interleaved on every partition,
/// one `serve` at a time, SIGKILLed at seeded random points and restarted at once. A dead letter the killed instance
/// produced but had not stored (or stored but not committed) is read back from <c>transactions.dlq</c> by the next owner
/// and stored from there: every bad message ends with exactly one record on the topic and one row in the store.
/// </summary>
[Collection(nameof(StateProcessTests))]
public sealed partial class DeadLetterKillTests(ITestOutputHelper output)
{
    private const int Kills = 6;
    private const int Good = 40_000;
    private const int GoodRate = 2_000;
    private const int Bad = 3_000;

    /// <summary>The bad messages' rate: they run alongside the whole good stream (20 s).</summary>
    private const int BadRate = Bad * GoodRate / Good;
    private const int Seed = 11;

    [Fact]
    public async Task Kill_9s_between_a_dead_letters_produce_and_its_store_leave_one_record_and_one_row_per_bad_message()
    {
        using var broker = EmbeddedBroker.Start();
        using var tap = new DecisionsTap(broker.BootstrapServers);
        var database = "sqlite:" + TestServeSettings.NewSqliteFile();
        var store = SimulatedStream.Store(database);
        var random = new Random(Seed);
        var instances = new List<FraudstreamProcess>();
        try
        {
            var current = FraudstreamProcess.Serve("serve-0", broker.BootstrapServers, database, SimulatedStream.ServeEnvironment);
            instances.Add(current);
            Assert.True(current.WaitForOutput("Decision service starting", TimeSpan.FromSeconds(90)), current.OutputText);
            using var produce = SimulatedStream.Produce(broker.BootstrapServers, Good, GoodRate, Seed);
            using var bad = new BadMessages(broker.BootstrapServers, Bad, BadRate);
            var spawned = Stopwatch.StartNew();
            for (var k = 1; k <= Kills; k++)
            {
                Assert.True(current.WaitForOutput("Decision service starting", TimeSpan.FromSeconds(90)), current.Name + ":\n" + current.OutputText);
                var killAt = spawned.Elapsed + TimeSpan.FromMilliseconds(2_000 + random.Next(2_500));
                while (spawned.Elapsed < killAt)
                {
                    await Task.Delay(50);
                }

                Assert.False(current.HasExited, current.Name + " exited:\n" + current.OutputText);
                current.Kill();
                current = FraudstreamProcess.Serve("serve-" + k, broker.BootstrapServers, database, SimulatedStream.ServeEnvironment);
                instances.Add(current);
                spawned.Restart();
            }

            var last = current;
            await RunningService.WaitForAsync(async () =>
            {
                Assert.False(last.HasExited, last.OutputText);
                return await SimulatedStream.DecidedAsync(store) >= Good && await DeadLettersAsync(store) >= Bad;
            }, TimeSpan.FromMinutes(5), $"{Good} decisions and {Bad} dead letters in the store");
            Assert.True(produce.WaitForExit(TimeSpan.FromSeconds(60)) && produce.ExitCode == 0, produce.OutputText);
            var badPositions = bad.Finish();
            Assert.Equal(Bad, badPositions.Count);

            // The kills did land between a dead letter's produce and its commit: the next owners read some back.
            var readBack = 0;
            foreach (var instance in instances.Skip(1))
            {
                foreach (Match m in DeadLettersReadBack().Matches(instance.OutputText))
                {
                    readBack += int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                }
            }

            output.WriteLine($"{Kills} kills: {readBack} dead letters read back from {Topics.DeadLetters} by the next owners");
            Assert.True(readBack > 0, "no kill landed between a dead letter's produce and its commit: the test proved nothing");

            // One record per bad message on the topic, each at the position the message was written at ...
            var onTopic = RunningService.ReadTopic(broker.BootstrapServers, Topics.DeadLetters, Bad, TimeSpan.FromSeconds(60));
            var byPosition = onTopic.GroupBy(r =>
            {
                Assert.True(SourcePosition.TryRead(r.Message.Headers, out var partition, out var offset), "a dead letter without its fs.source header");
                return (partition, offset);
            }).ToDictionary(g => g.Key, g => g.Count());
            var twice = byPosition.Count(p => p.Value > 1);
            Assert.True(twice == 0, $"{twice} bad messages have more than one record on {Topics.DeadLetters} ({onTopic.Count} records)");
            Assert.True(badPositions.SetEquals(byPosition.Keys), "the dead letters on the topic are not those of the bad messages");
            Assert.All(onTopic, r => Assert.Equal("invalid_json", Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("dlq.reason"))));

            // ... one row per bad message in the store, with the topic's reason, and one decision per good transaction.
            var stored = await store.GetDeadLettersAsync(Bad * 2);
            Assert.Equal(Bad, stored.Count);
            Assert.True(badPositions.SetEquals(stored.Select(d => (d.SourcePartition, d.SourceOffset))), "the stored dead letters are not those of the bad messages");
            Assert.All(stored, d => Assert.Equal("invalid_json", d.Reason));
            Assert.Equal(Good, await store.CountDecisionsAsync());
            var decisions = tap.WaitFor(Good, TimeSpan.FromSeconds(60));
            Assert.Equal(Good, decisions.Count);
            var decidedTwice = decisions.Values.Count(d => d.Count > 1);
            Assert.True(decidedTwice == 0, $"{decidedTwice} ids have two decisions on the topic");

            Assert.True(last.Terminate(TimeSpan.FromSeconds(60)) && last.ExitCode == 0, last.OutputText);
        }
        finally
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }
        }
    }

    private static Task<long> DeadLettersAsync(Storage.FraudStore store) => SimulatedStream.CountOrZeroAsync(store.CountDeadLettersAsync);

    [GeneratedRegex(@": (\d+) dead letters were on \S+ past the committed offset")]
    private static partial Regex DeadLettersReadBack();

    /// <summary>
    /// Malformed messages (cut JSON, so <c>invalid_json</c> whatever the clock) produced from the test at a steady rate,
    /// keyed over many cards so they land on every partition; each one's position comes from its delivery report.
    /// </summary>
    private sealed class BadMessages : IDisposable
    {
        private readonly IProducer<byte[], byte[]> _producer;
        private readonly Thread _thread;
        private readonly HashSet<(int, long)> _positions = [];
        private readonly int _count;
        private readonly int _rate;
        private volatile bool _stop;
        private int _failed;

        public BadMessages(string bootstrap, int count, int rate)
        {
            _producer = new ProducerBuilder<byte[], byte[]>(KafkaClients.ProducerConfig(bootstrap, "test-bad")).Build();
            _count = count;
            _rate = rate;
            _thread = new Thread(Run) { IsBackground = true, Name = "bad-messages" };
            _thread.Start();
        }

        /// <summary>Waits for every message to be produced and acknowledged; their positions.</summary>
        public HashSet<(int Partition, long Offset)> Finish()
        {
            _thread.Join();
            Assert.Equal(0, _producer.Flush(TimeSpan.FromSeconds(30)));
            Assert.Equal(0, Volatile.Read(ref _failed));
            lock (_positions)
            {
                return [.. _positions];
            }
        }

        private void Run()
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < _count && !_stop; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / _rate);
                if (clock.Elapsed < due)
                {
                    Thread.Sleep(due - clock.Elapsed);
                }

                var message = new Message<byte[], byte[]>
                {
                    Key = Encoding.UTF8.GetBytes("bad-card-" + (i % 997).ToString(CultureInfo.InvariantCulture)),
                    Value = Encoding.UTF8.GetBytes("{\"id\":\"bad-" + i.ToString(CultureInfo.InvariantCulture) + "\",\"amount\":12.5,\"merch"),
                };
                _producer.Produce(Topics.Transactions, message, report =>
                {
                    if (report.Error.IsError)
                    {
                        Interlocked.Increment(ref _failed);
                        return;
                    }

                    lock (_positions)
                    {
                        _positions.Add((report.Partition.Value, report.Offset.Value));
                    }
                });
            }
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
            _producer.Dispose();
        }
    }
}
