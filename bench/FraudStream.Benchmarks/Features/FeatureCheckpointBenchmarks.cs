using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using FraudStream.Core.Contracts;
using FraudStream.Features;
using FraudStream.Features.Engine;
using FraudStream.Features.Graph;
using FraudStream.Features.Schema;

namespace FraudStream.Benchmarks.Features;

/// <summary>
/// Checkpoint write and restore of one engine's cards (one partition's) and of the graph, at 100k and 1M cards:
/// every card seen once, then twice as many transactions at random cards over about 30 hours (so windows, visits,
/// devices and the hour histogram hold history), 5,000 merchants, a device per two cards on half the
/// transactions, half of them located, the default label index (1M entries, full). Restoring the engine needs the
/// graph restored first (the index's cards wait there for it), so each engine restore gets a fresh restored graph.
/// The sizes (bytes per card, per merchant) are printed by the setup, into each benchmark's log.
/// Operations take a second or so: a few iterations of one invocation each.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5, invocationCount: 1)]
public class FeatureCheckpointBenchmarks
{
    private const int Merchants = 5_000;
    private static readonly string[] Categories = ["grocery", "travel", "fuel", "restaurant", "electronics", "health"];

    private FeatureEngine _engine = null!;
    private MerchantGraph _graph = null!;
    private byte[] _engineCheckpoint = [];
    private byte[] _graphCheckpoint = [];
    private ArrayBufferWriter<byte> _buffer = null!;
    private MerchantGraph _restoredGraph = null!;

    [Params(100_000, 1_000_000)]
    public int Cards { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _graph = new MerchantGraph();
        _engine = new FeatureEngine(_graph);
        Fill(_engine, Cards, Merchants, devices: true);
        _engineCheckpoint = Write(_engine.WriteCheckpoint);
        _graphCheckpoint = Write(_graph.WriteCheckpoint);
        _buffer = new ArrayBufferWriter<byte>(Math.Max(_engineCheckpoint.Length, _graphCheckpoint.Length) + (1 << 20));

        // Bytes per merchant: a graph of the same merchants with nothing else in it worth counting (no devices,
        // a label index of 1,024 entries).
        var merchantsOnly = new FeatureEngine(new MerchantGraph(new FeatureOptions { LabelIndexCapacity = 1024 }));
        Fill(merchantsOnly, 20_000, Merchants, devices: false);
        var merchantBytes = Write(merchantsOnly.Graph.WriteCheckpoint).Length;

        Console.WriteLine(
            $"// checkpoint sizes: engine {_engineCheckpoint.Length:N0} B for {_engine.CardCount:N0} cards = {_engineCheckpoint.Length / (double)_engine.CardCount:F0} B/card; " +
            $"graph {_graphCheckpoint.Length:N0} B ({_graph.MerchantCount:N0} merchants, {_graph.DeviceCount:N0} devices, label index full); " +
            $"merchants alone {merchantBytes / (double)merchantsOnly.Graph.MerchantCount:F0} B/merchant");
    }

    [IterationSetup(Targets = [nameof(RestoreEngine)])]
    public void RestoreGraphForEngine() => _restoredGraph = MerchantGraph.ReadCheckpoint(_graphCheckpoint);

    [Benchmark]
    public long WriteEngine()
    {
        _buffer.ResetWrittenCount();
        _engine.WriteCheckpoint(_buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int RestoreEngine() => FeatureEngine.ReadCheckpoint(_engineCheckpoint, _restoredGraph).CardCount;

    [Benchmark]
    public long WriteGraph()
    {
        _buffer.ResetWrittenCount();
        _graph.WriteCheckpoint(_buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int RestoreGraph() => MerchantGraph.ReadCheckpoint(_graphCheckpoint).MerchantCount;

    /// <summary>Restores both, as a restart does: the graph, then the engine into it.</summary>
    [Benchmark]
    public int RestoreGraphAndEngine() =>
        FeatureEngine.ReadCheckpoint(_engineCheckpoint, MerchantGraph.ReadCheckpoint(_graphCheckpoint)).CardCount;

    private static byte[] Write(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static void Fill(FeatureEngine engine, int cards, int merchants, bool devices)
    {
        var random = new Random(17);
        var features = new float[FeatureSchema.Count];
        var tx = new Transaction { Currency = "EUR", Country = "DE" };
        var total = cards * 3;
        var clock = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
        var step = TimeSpan.FromHours(30).Ticks / total;
        for (var i = 0; i < total; i++)
        {
            var card = i < cards ? i : random.Next(cards);
            tx.Id = "tx" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            tx.Card = "card" + card.ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
            tx.Merchant = "merchant" + random.Next(merchants).ToString(System.Globalization.CultureInfo.InvariantCulture);
            tx.Category = Categories[random.Next(Categories.Length)];
            tx.Device = devices && random.Next(2) == 0 ? "device" + (card / 2).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            tx.Amount = Math.Round((decimal)(5 + (random.NextDouble() * 200)), 2);
            var located = random.Next(2) == 0;
            tx.Latitude = located ? 48 + random.NextDouble() : double.NaN;
            tx.Longitude = located ? 11 + random.NextDouble() : double.NaN;
            tx.Channel = (PaymentChannel)random.Next(1, 4);
            clock = clock.AddTicks(step);
            tx.Timestamp = clock;
            engine.Process(tx, features);
        }
    }
}
