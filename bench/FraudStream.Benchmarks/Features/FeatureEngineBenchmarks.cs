using BenchmarkDotNet.Attributes;
using FraudStream.Core.Contracts;
using FraudStream.Features.Engine;
using FraudStream.Features.Graph;
using FraudStream.Features.Schema;

namespace FraudStream.Benchmarks.Features;

/// <summary>
/// Update + read of every feature for one transaction on warm state: 50,000 cards, 2,000 merchants,
/// 20,000 devices, half the transactions located, more than a day of history already replayed. Like
/// the pipeline, one pooled <see cref="Transaction"/> is refilled per message. <see cref="ProcessTransactionsInBatches"/>
/// drives the engine as a pipeline worker does when it takes a batch off its queue: the batch's transactions
/// (one pooled object each) are announced three ahead with <see cref="FeatureEngine.PrefetchAhead"/>.
/// </summary>
[MemoryDiagnoser]
public class FeatureEngineBenchmarks
{
    private const int Cards = 50_000;
    private const int Merchants = 2_000;
    private const int Devices = 20_000;
    private const int Batch = 1_000;

    /// <summary>The pipeline worker's largest batch (Pipeline:MaxBatch's default).</summary>
    private const int WorkerBatch = 64;

    /// <summary>As the pipeline worker announces them.</summary>
    private const int PrefetchDistance = 3;
    private const int Script = 1 << 18;

    private readonly float[] _features = new float[FeatureSchema.Count];
    private readonly Transaction _tx = new() { Currency = "EUR" };
    private readonly Transaction[] _workerBatch = new Transaction[WorkerBatch];
    private string[] _cardNames = [];
    private string[] _merchantNames = [];
    private string[] _deviceNames = [];
    private string[] _ids = [];
    private Step[] _script = [];
    private FeatureEngine _engine = null!;
    private DateTime _clock;
    private int _next;

    private static readonly string[] Categories = ["grocery", "travel", "fuel", "restaurant", "electronics", "health"];
    private static readonly string[] Countries = ["DE", "FR", "ES", "IT"];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _cardNames = Names("card", Cards);
        _merchantNames = Names("merchant", Merchants);
        _deviceNames = Names("device", Devices);
        _ids = Names("tx", 4096);
        _script = new Step[Script];
        for (var i = 0; i < _script.Length; i++)
        {
            var card = random.Next(Cards);
            _script[i] = new Step(
                card, random.Next(Merchants), random.Next(Categories.Length),
                random.Next(10) == 0 ? random.Next(Countries.Length) : 0,
                random.Next(2) == 0 ? card % Devices : -1,
                (decimal)Math.Round(5 + (random.NextDouble() * 200), 2),
                random.Next(2) == 0 ? 48 + random.NextDouble() : double.NaN,
                11 + random.NextDouble(),
                (PaymentChannel)random.Next(1, 4));
        }

        for (var i = 0; i < _workerBatch.Length; i++)
        {
            _workerBatch[i] = new Transaction { Currency = "EUR" };
        }

        _engine = new FeatureEngine(new MerchantGraph());
        _clock = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < 240_000; i++)
        {
            Next(); // ~33 h of history at 2 transactions per second
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public float ProcessTransaction()
    {
        for (var i = 0; i < Batch; i++)
        {
            Next();
        }

        return _features[FeatureSchema.CardCount24h];
    }

    [Benchmark(OperationsPerInvoke = WorkerBatch * (Batch / WorkerBatch))]
    public float ProcessTransactionsInBatches()
    {
        for (var b = 0; b < Batch / WorkerBatch; b++)
        {
            var batch = _workerBatch;
            for (var i = 0; i < batch.Length; i++)
            {
                Fill(batch[i]);
            }

            for (var i = 0; i < PrefetchDistance; i++)
            {
                _engine.PrefetchAhead(batch[i]);
            }

            for (var i = 0; i < batch.Length; i++)
            {
                if (i + PrefetchDistance < batch.Length)
                {
                    _engine.PrefetchAhead(batch[i + PrefetchDistance]);
                }

                _engine.Process(batch[i], _features);
            }
        }

        return _features[FeatureSchema.CardCount24h];
    }

    private void Next()
    {
        Fill(_tx);
        _engine.Process(_tx, _features);
    }

    private void Fill(Transaction tx)
    {
        ref readonly var step = ref _script[_next];
        tx.Id = _ids[_next & (_ids.Length - 1)];
        tx.Card = _cardNames[step.Card];
        tx.Merchant = _merchantNames[step.Merchant];
        tx.Category = Categories[step.Category];
        tx.Country = Countries[step.Country];
        tx.Device = step.Device >= 0 ? _deviceNames[step.Device] : null;
        tx.Amount = step.Amount;
        tx.Latitude = step.Latitude;
        tx.Longitude = step.Longitude;
        tx.Channel = step.Channel;
        _clock = _clock.AddTicks(TimeSpan.TicksPerSecond / 2);
        tx.Timestamp = _clock;
        _next = (_next + 1) & (Script - 1);
    }

    private static string[] Names(string prefix, int count)
    {
        var names = new string[count];
        for (var i = 0; i < count; i++)
        {
            names[i] = prefix + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        }

        return names;
    }

    private readonly record struct Step(
        int Card, int Merchant, int Category, int Country, int Device, decimal Amount, double Latitude, double Longitude, PaymentChannel Channel);
}
