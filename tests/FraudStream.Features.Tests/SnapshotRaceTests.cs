using System.Buffers;
using System.Collections.Concurrent;
using FraudStream.Core.Contracts;
using FraudStream.Features.Schema;
using FraudStream.Features.Stage;

namespace FraudStream.Features.Tests;

/// <summary>
/// The service's checkpoint under load, many times over: worker threads own several partitions each and fold them on,
/// a labels thread applies labels, and a controller parks them all at an aligned barrier, takes a checkpoint of the
/// live state and the snapshot, releases them and writes the snapshot while they run. Every written snapshot must have
/// the bytes of the checkpoint at its capture and restore (<see cref="FeatureStage.TryRestore"/>). The stream is built
/// to reach what a write could meet changing under it: a first capture on a cold (empty) stage and the first one with
/// cards, cards and merchants expiring and evicted (small TTLs and caps) between capture and write, tables growing
/// (every partition's card table and the graph's from empty), partitions that appear only between captures, partitions
/// far behind in event time (a replay from the beginning of the log beside live ones), and labels.
/// </summary>
public sealed class SnapshotRaceTests
{
    public static TheoryData<int, int, int, bool, int> Scenarios => new()
    {
        // seed, partitions, workers, tight limits (evictions, small caps), transactions per partition
        { 1, 6, 2, false, 4_000 },
        { 2, 12, 3, true, 3_000 },
        { 3, 24, 4, true, 1_500 },
        { 4, 6, 6, false, 4_000 },
        { 5, 12, 1, true, 2_000 },
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Snapshots_written_while_workers_and_labels_run_on_equal_a_checkpoint_at_the_capture_and_restore(
        int seed, int partitions, int workers, bool tight, int perPartition)
    {
        var options = new FeatureOptions
        {
            CardIdleTtl = TimeSpan.FromHours(2),
            GraphIdleTtl = TimeSpan.FromHours(1),
            GraphSweepInterval = 16,
            ExpiryChecksPerTransaction = 3,
            LabelIndexCapacity = 64 * 32,
            MaxWindowEvents = 16,
            CompromiseLookback = TimeSpan.FromDays(2),
            MaxCardsPerPartition = tight ? 150 : 2_000_000,
            MaxGraphNodes = tight ? 200 : 4_000_000,
        };
        // More rounds when hunting a race (FS_SNAPSHOT_RACE_ROUNDS); one by default, which still guards.
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("FS_SNAPSHOT_RACE_ROUNDS"), out var asked) ? asked : 1;
        for (var round = 0; round < rounds; round++)
        {
            var streams = Streams(seed + (1000 * round), partitions, perPartition);
            var run = new StageRun(new FeatureStage(options), streams, workers, seed + round);
            var failures = run.Run(captureEvery: 300, firstCaptures: [0, 1, 40]);
            Assert.True(run.Captures >= 20, $"only {run.Captures} captures: the test shows little");
            Assert.True(run.CardsInCaptures > 0, "no capture held a card");
            Assert.True(failures.Count == 0, $"round {round}, {run.Captures} captures:\n" + string.Join('\n', failures));
        }
    }

    /// <summary>
    /// One stream per partition. A third of the partitions start 20 days behind and move fast (a replay from the start
    /// of the log beside live partitions, as a start with no checkpoint does), a sixth start empty and get their first
    /// transaction only after a while (partitions that appear between captures). Cards are the partition's own;
    /// merchants and devices are shared, so the graph is. Card keys are as long as tokens: a checkpoint is mostly those
    /// keys' strings and the values between them.
    /// </summary>
    private static List<Transaction?>[] Streams(int seed, int partitions, int perPartition)
    {
        var random = new Random(seed);
        var streams = new List<Transaction?>[partitions];
        for (var p = 0; p < partitions; p++)
        {
            var behind = p % 3 == 1;
            var late = p % 6 == 5;
            var clock = Scripted.T0 - (behind ? TimeSpan.FromDays(20) : TimeSpan.Zero);
            var stream = new List<Transaction?>(perPartition);
            for (var i = 0; i < perPartition; i++)
            {
                clock += random.Next(300) == 0
                    ? TimeSpan.FromHours(random.Next(1, 5)) // a quiet spell: cards and merchants expire
                    : TimeSpan.FromSeconds(random.NextDouble() * (behind ? 600 : 30));
                var card = random.Next(random.Next(1, 400));
                var located = random.Next(2) == 0;
                stream.Add(new Transaction
                {
                    Id = $"p{p}-t{i}",
                    Timestamp = random.Next(40) == 0 ? clock - TimeSpan.FromSeconds(30) : clock,
                    Card = $"tok_{p:x4}{card:x8}0123456789abcdef01234567", // as long as a protected card number's token
                    Merchant = $"m{random.Next(random.Next(1, 300))}",
                    Category = random.Next(5) == 0 ? "" : $"c{random.Next(8)}",
                    Amount = Math.Round((decimal)(1 + (random.NextDouble() * 400)), 2),
                    Currency = "EUR",
                    Country = random.Next(4) == 0 ? "" : $"C{random.Next(3)}",
                    Device = random.Next(2) == 0 ? null : $"d{random.Next(500)}",
                    Latitude = located ? 48 + random.NextDouble() : double.NaN,
                    Longitude = located ? 11 + random.NextDouble() : double.NaN,
                    Channel = (PaymentChannel)random.Next(1, 4),
                });
            }

            if (late)
            {
                stream.InsertRange(0, new Transaction?[perPartition / 2]); // nothing yet: the partition appears later
            }

            streams[p] = stream;
        }

        return streams;
    }

    /// <summary>The threads of one run and the aligned barrier between them and the controller.</summary>
    private sealed class StageRun(FeatureStage stage, List<Transaction?>[] streams, int workerCount, int seed)
    {
        private readonly object _barrierGate = new();
        private readonly Lock _labelsPark = new(); // as the labels consumer's apply gate: held by a capture from park to release
        private readonly ConcurrentQueue<Label> _labels = new();
        private volatile bool _parkRequested;
        private volatile bool _workersDone;

        private int _parked;
        private long _processed;
        private long _nextCaptureAt;
        private int _running;

        public int Captures { get; private set; }

        public long CardsInCaptures { get; private set; }

        public List<string> Failures { get; } = [];

        public List<string> Run(int captureEvery, int[] firstCaptures)
        {
            var threads = new List<Thread>();
            _running = workerCount;
            var random = new Random(seed * 31);
            var capturesAt = new Queue<long>(firstCaptures.Select(at => (long)at));
            var total = streams.Sum(stream => stream.Count(tx => tx is not null));
            for (var at = firstCaptures[^1] + captureEvery; at < total; at += random.Next(captureEvery / 4, captureEvery * 2))
            {
                capturesAt.Enqueue(at);
            }

            Volatile.Write(ref _nextCaptureAt, capturesAt.Dequeue());
            _parkRequested = _nextCaptureAt == 0; // the first capture on a cold stage, before anything is processed
            for (var w = 0; w < workerCount; w++)
            {
                var worker = w;
                threads.Add(new Thread(() => Work(worker)) { IsBackground = true, Name = $"worker-{worker}" });
            }

            var labels = new Thread(ApplyLabels) { IsBackground = true, Name = "labels" };
            threads.Add(labels);
            foreach (var thread in threads)
            {
                thread.Start();
            }

            while (true)
            {
                lock (_barrierGate)
                {
                    while (!_parkRequested && !_workersDone)
                    {
                        Monitor.Wait(_barrierGate);
                    }
                }

                if (!_parkRequested)
                {
                    break;
                }

                CaptureAndWrite(random, capturesAt.Count > 0 ? capturesAt.Dequeue() : long.MaxValue);
            }

            foreach (var thread in threads)
            {
                thread.Join();
            }

            return Failures;
        }

        private void CaptureAndWrite(Random random, long nextCaptureAt)
        {
            byte[] atCapture;
            Core.Stages.IStateSnapshot snapshot;
            _labelsPark.Enter();
            try
            {
                lock (_barrierGate)
                {
                    while (_parked < Volatile.Read(ref _running))
                    {
                        Monitor.Wait(_barrierGate);
                    }
                }

                atCapture = Checkpoint(stage);
                snapshot = random.Next(2) == 0 ? stage.CaptureCheckpoint() : CaptureInParallel(stage);
                lock (_barrierGate)
                {
                    Volatile.Write(ref _nextCaptureAt, nextCaptureAt);
                    _parkRequested = false;
                    Monitor.PulseAll(_barrierGate);
                }
            }
            finally
            {
                _labelsPark.Exit();
            }

            Captures++;
            CardsInCaptures += stage.CardCount;
            if (random.Next(2) == 0)
            {
                Thread.Sleep(random.Next(3)); // let the workers get ahead before the write starts
            }

            byte[] written;
            using (snapshot)
            {
                // Spans of one chunk, where the checkpoint at the capture got all of an ArrayBufferWriter's room: the same bytes whatever the output.
                var buffer = new ExactSpanBufferWriter(garbage: 0xEE);
                snapshot.WriteTo(buffer);
                written = buffer.Written;
            }

            var capture = Captures;
            if (!atCapture.AsSpan().SequenceEqual(written))
            {
                Failures.Add($"capture {capture}: the snapshot's {written.Length} bytes differ from the {atCapture.Length} of a checkpoint at the capture"
                    + $" (first difference at byte {FirstDifference(atCapture, written)})");
            }

            var restored = new FeatureStage(stage.Graph.Options);
            if (!restored.TryRestore(written, out var error))
            {
                Failures.Add($"capture {capture}: the written snapshot is refused: {error}");
            }

            if (!new FeatureStage(stage.Graph.Options).TryRestore(atCapture, out var liveError))
            {
                Failures.Add($"capture {capture}: the checkpoint of the live state at the capture is refused too: {liveError}");
            }
        }

        /// <summary>The parts copied by several threads at once, as the service's parked workers copy them.</summary>
        private static Core.Stages.IStateSnapshot CaptureInParallel(FeatureStage stage)
        {
            var capture = stage.BeginCheckpointCapture();
            Parallel.For(0, capture.Parts, new ParallelOptions { MaxDegreeOfParallelism = 4 }, capture.CopyPart);
            return capture.Complete();
        }

        private void Work(int worker)
        {
            try
            {
                var features = new float[FeatureSchema.Count];
                var owned = new List<int>();
                for (var p = worker; p < streams.Length; p += workerCount)
                {
                    owned.Add(p);
                }

                var random = new Random(seed + worker);
                var longest = owned.Max(p => streams[p].Count);
                for (var i = 0; i < longest; i++)
                {
                    foreach (var partition in owned)
                    {
                        ParkIfAsked();
                        if (i >= streams[partition].Count || streams[partition][i] is not { } tx)
                        {
                            continue;
                        }

                        stage.ForPartition(partition).Process(tx, features);
                        // At or past the mark, not equal to it: the worker that reached it can be descheduled before it asks,
                        // while the others run on past the next mark, and an equality would then never hold again.
                        var processed = Interlocked.Increment(ref _processed);
                        if (processed >= Volatile.Read(ref _nextCaptureAt) && !_parkRequested)
                        {
                            lock (_barrierGate)
                            {
                                if (!_parkRequested && processed >= Volatile.Read(ref _nextCaptureAt))
                                {
                                    _parkRequested = true; // the others park at their next transaction, this one now
                                    Monitor.PulseAll(_barrierGate);
                                }
                            }
                        }

                        if (random.Next(10) == 0)
                        {
                            _labels.Enqueue(new Label(tx.Id, random.Next(4) != 0, tx.Timestamp + TimeSpan.FromMinutes(random.Next(1, 600))));
                        }
                    }
                }
            }
            finally
            {
                lock (_barrierGate)
                {
                    if (Interlocked.Decrement(ref _running) == 0)
                    {
                        _workersDone = true;
                    }

                    Monitor.PulseAll(_barrierGate);
                }
            }
        }

        private void ParkIfAsked()
        {
            if (!_parkRequested)
            {
                return;
            }

            lock (_barrierGate)
            {
                if (!_parkRequested)
                {
                    return;
                }

                _parked++;
                Monitor.PulseAll(_barrierGate);
                while (_parkRequested)
                {
                    Monitor.Wait(_barrierGate);
                }

                _parked--;
            }
        }

        private void ApplyLabels()
        {
            while (!_workersDone || !_labels.IsEmpty)
            {
                if (!_labels.TryDequeue(out var label))
                {
                    Thread.Yield();
                    continue;
                }

                lock (_labelsPark)
                {
                    stage.ApplyLabel(label); // waits while a snapshot is written
                }
            }
        }

        private static byte[] Checkpoint(FeatureStage stage)
        {
            var buffer = new ArrayBufferWriter<byte>();
            stage.WriteCheckpoint(buffer);
            return buffer.WrittenSpan.ToArray();
        }

        private static int FirstDifference(byte[] a, byte[] b)
        {
            var n = Math.Min(a.Length, b.Length);
            for (var i = 0; i < n; i++)
            {
                if (a[i] != b[i])
                {
                    return i;
                }
            }

            return n;
        }
    }
}
