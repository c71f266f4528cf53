using BenchmarkDotNet.Attributes;
using FraudStream.Core.Contracts;
using FraudStream.Features.Engine;
using FraudStream.Features.Graph;
using FraudStream.Features.Schema;

namespace FraudStream.Benchmarks.Features;

/// <summary>
/// Update + read of every feature for one transaction on warm state: 50,000 cards, 2,000 merchants,
/// 20,000 devices, half the transactions located, a day of history already replayed.
/// </summary>
[MemoryDiagnoser]
public class FeatureEngineBenchmarks
{
    private const int Cards = 50_000;
    private const int Merchants = 2_000;
    private const int Devices = 20_000;
    private const int Batch = 1_000;

    private readonly float[] _features = new float[FeatureSchema.Count];
    private Transaction[] _transactions = [];
    private FeatureEngine _engine = null!;
    private DateTime _clock;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        string[] categories = ["grocery", "travel", "fuel", "restaurant", "electronics", "health"];
        string[] countries = ["DE", "FR", "ES", "IT"];
        _transactions = new Transaction[200_000];
        for (var i = 0; i < _transactions.Length; i++)
        {
            var card = random.Next(Cards);
            _transactions[i] = new Transaction
            {
                Id = $"tx{i}",
                Card = $"card{card}",
                Merchant = $"merchant{random.Next(Merchants)}",
                Category = categories[random.Next(categories.Length)],
                Amount = (decimal)Math.Round(5 + (random.NextDouble() * 200), 2),
                Currency = "EUR",
                Country = countries[random.Next(10) == 0 ? random.Next(countries.Length) : 0],
                Device = random.Next(2) == 0 ? $"device{card % Devices}" : null,
                Latitude = random.Next(2) == 0 ? 48 + random.NextDouble() : double.NaN,
                Longitude = 11 + random.NextDouble(),
                Channel = (PaymentChannel)random.Next(1, 4),
            };
        }

        _engine = new FeatureEngine(new MerchantGraph());
        _clock = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < _transactions.Length; i++)
        {
            Step(); // ~28 h of history at 2 transactions per second
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public float ProcessTransaction()
    {
        for (var i = 0; i < Batch; i++)
        {
            Step();
        }

        return _features[FeatureSchema.CardCount24h];
    }

    private void Step()
    {
        var tx = _transactions[_next];
        _next = _next + 1 == _transactions.Length ? 0 : _next + 1;
        _clock = _clock.AddTicks(TimeSpan.TicksPerSecond / 2);
        tx.Timestamp = _clock;
        _engine.Process(tx, _features);
    }
}
