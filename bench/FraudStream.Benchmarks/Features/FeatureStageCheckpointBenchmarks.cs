using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using FraudStream.Core.Contracts;
using FraudStream.Features;
using FraudStream.Features.Schema;
using FraudStream.Features.Stage;

namespace FraudStream.Benchmarks.Features;

/// <summary>
/// The checkpoint as the running service takes it (docs/STATE.md): the whole <see cref="FeatureStage"/> — six
/// partitions' engines and the shared graph — at 100k and 1M cards, filled as in <see cref="FeatureCheckpointBenchmarks"/>.
/// <list type="bullet">
/// <item><c>Capture</c>: the whole checkpoint written to memory — what the workers waited for at the barrier before
/// 2026-12-03, and what a graceful stop still does.</item>
/// <item><c>CaptureSnapshot</c>: what the workers wait for at the barrier now, the state copied into the reused
/// snapshot (<see cref="FeatureStage.CaptureCheckpoint"/>).</item>
/// <item><c>SnapshotWrite</c>: the snapshot's bytes written after the release (off the barrier), capture included.</item>
/// <item><c>CaptureSnapshotAfterInterval</c>: the copy after 50,000 transactions (10 s at 5k tx/s) since the last one,
/// as in steady state; the others capture again with nothing changed in between.</item>
/// <item><c>CaptureSnapshotAfterIntervalInParallel</c>: that copy in parts on every core (the service's barrier).</item>
/// <item><c>Restore</c>: a start's restore of that checkpoint.</item>
/// <item><c>RestoreAndReplay</c>: restore, then 150,000 transactions (30 s at 5k tx/s: one checkpoint interval) parsed
/// from their JSON and folded in, features only, as the replay after a kill.</item>
/// </list>
/// Sizes (bytes per card, bytes in all) are printed by the setup.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5, invocationCount: 1)]
public class FeatureStageCheckpointBenchmarks
{
    private const int Partitions = 6;
    private const int ReplayTransactions = 150_000;
    private const int IntervalTransactions = 50_000;
    private const int Merchants = 5_000;
    private static readonly string[] Categories = ["grocery", "travel", "fuel", "restaurant", "electronics", "health"];

    private FeatureStage _stage = null!;
    private byte[] _checkpoint = [];
    private ArrayBufferWriter<byte> _buffer = null!;
    private byte[][] _replay = [];
    private int[] _replayPartition = [];
    private DateTime _clock;
    private int _intervals;

    [Params(100_000, 1_000_000)]
    public int Cards { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _stage = new FeatureStage(new FeatureOptions());
        _clock = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
        var random = new Random(17);
        var features = new float[FeatureSchema.Count];
        var tx = new Transaction();
        var total = Cards * 3;
        var step = TimeSpan.FromHours(30).Ticks / total;
        for (var i = 0; i < total; i++)
        {
            var card = i < Cards ? i : random.Next(Cards);
            Next(random, tx, i, card, step);
            _stage.ForPartition(card % Partitions).Process(tx, features);
        }

        _buffer = new ArrayBufferWriter<byte>(1 << 20);
        _stage.WriteCheckpoint(_buffer);
        _checkpoint = _buffer.WrittenSpan.ToArray();

        _replay = new byte[ReplayTransactions][];
        _replayPartition = new int[ReplayTransactions];
        for (var i = 0; i < ReplayTransactions; i++)
        {
            var card = random.Next(Cards);
            Next(random, tx, total + i, card, step);
            _replay[i] = TransactionJson.Serialize(tx);
            _replayPartition[i] = card % Partitions;
        }

        using (var snapshot = _stage.CaptureCheckpoint())
        {
            var copied = snapshot.CopiedBytes;
            var before = GC.GetTotalMemory(forceFullCollection: true);
            Console.WriteLine($"// stage checkpoint: {_checkpoint.Length:N0} B for {_stage.CardCount:N0} cards in {Partitions} partitions " +
                $"({_checkpoint.Length / (double)_stage.CardCount:F0} B/card, graph included); snapshot copies {copied:N0} B " +
                $"({copied / (double)_stage.CardCount:F0} B/card), managed heap with it {before:N0} B");
        }
    }

    [Benchmark]
    public long Capture()
    {
        _buffer.ResetWrittenCount();
        _stage.WriteCheckpoint(_buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int CaptureSnapshot()
    {
        using var snapshot = _stage.CaptureCheckpoint();
        return _stage.CardCount;
    }

    [Benchmark]
    public long SnapshotWrite()
    {
        using var snapshot = _stage.CaptureCheckpoint();
        _buffer.ResetWrittenCount();
        snapshot.WriteTo(_buffer);
        return _buffer.WrittenCount;
    }

    /// <summary>An interval's traffic between captures (10 s at 5k tx/s): what a capture copies in steady state.</summary>
    [IterationSetup(Targets = [nameof(CaptureSnapshotAfterInterval), nameof(CaptureSnapshotAfterIntervalInParallel)])]
    public void ProcessAnInterval()
    {
        var random = new Random(_intervals++);
        var tx = new Transaction();
        var features = new float[FeatureSchema.Count];
        for (var i = 0; i < IntervalTransactions; i++)
        {
            var card = random.Next(Cards);
            Next(random, tx, (Cards * 3) + ReplayTransactions + (_intervals * IntervalTransactions) + i, card, TimeSpan.TicksPerMillisecond / 5);
            _stage.ForPartition(card % Partitions).Process(tx, features);
        }
    }

    [Benchmark]
    public int CaptureSnapshotAfterInterval()
    {
        using var snapshot = _stage.CaptureCheckpoint();
        return _stage.CardCount;
    }

    /// <summary>The same copy in parts on every core, as the workers parked at the barrier and the idle cores take it (<c>CheckpointBarrier</c>).</summary>
    [Benchmark]
    public int CaptureSnapshotAfterIntervalInParallel()
    {
        var capture = _stage.BeginCheckpointCapture();
        Parallel.For(0, capture.Parts, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, capture.CopyPart);
        using var snapshot = capture.Complete();
        return _stage.CardCount;
    }

    [Benchmark]
    public int Restore()
    {
        var restored = new FeatureStage(new FeatureOptions());
        return restored.TryRestore(_checkpoint, out _) ? restored.CardCount : -1;
    }

    [Benchmark]
    public int RestoreAndReplay()
    {
        var restored = new FeatureStage(new FeatureOptions());
        if (!restored.TryRestore(_checkpoint, out _))
        {
            return -1;
        }

        var tx = new Transaction();
        var features = new float[FeatureSchema.Count];
        for (var i = 0; i < _replay.Length; i++)
        {
            if (TransactionJson.TryParse(_replay[i], tx, out _))
            {
                restored.ForPartition(_replayPartition[i]).Process(tx, features);
            }
        }

        return restored.CardCount;
    }

    private void Next(Random random, Transaction tx, int i, int card, long step)
    {
        tx.Id = "tx" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        tx.Card = "card" + card.ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
        tx.Merchant = "merchant" + random.Next(Merchants).ToString(System.Globalization.CultureInfo.InvariantCulture);
        tx.Category = Categories[random.Next(Categories.Length)];
        tx.Device = random.Next(2) == 0 ? "device" + (card / 2).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        tx.Amount = Math.Round((decimal)(5 + (random.NextDouble() * 200)), 2);
        tx.Currency = "EUR";
        tx.Country = "DE";
        var located = random.Next(2) == 0;
        tx.Latitude = located ? 48 + random.NextDouble() : double.NaN;
        tx.Longitude = located ? 11 + random.NextDouble() : double.NaN;
        tx.Channel = (PaymentChannel)random.Next(1, 4);
        _clock = _clock.AddTicks(step);
        tx.Timestamp = _clock;
    }
}
