using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using FraudStream.Core.Contracts;

namespace FraudStream.Benchmarks.Pipeline;

/// <summary>
/// The per-transaction work of the pipeline outside features, model and rules: parsing and validating
/// the contract, and writing the decision. Allocations here are the strings the contract carries
/// (id, card, merchant, category, device) and the decision's value array handed to Kafka.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private readonly Transaction _tx = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly List<string> _reasons = ["velocity", "model.review", "card.count_1m"];
    private byte[] _payload = [];
    private Utf8JsonWriter _writer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _payload = TransactionJson.Serialize(new Transaction
        {
            Id = "tx-7-000000123456", Timestamp = new DateTime(2026, 11, 1, 10, 0, 0, DateTimeKind.Utc), Card = "card-004211",
            Merchant = "merchant-0312", Category = "grocery", Amount = 42.17m, Currency = "EUR", Country = "DE",
            Latitude = 52.52, Longitude = 13.405, Device = "dev-88121", Channel = PaymentChannel.Ecom,
        });
        _writer = new Utf8JsonWriter(_buffer);
    }

    [Benchmark]
    public bool ParseAndValidate() => TransactionJson.TryParse(_payload, _tx, out _);

    [Benchmark]
    public int WriteDecision()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        DecisionJson.Write(_writer, "tx-7-000000123456", DecisionKind.Review, 0.734f, _reasons, _reasons.Count, "m-1", "r-1",
            new DateTime(2026, 11, 1, 10, 0, 0, DateTimeKind.Utc), 1234);
        _writer.Flush();
        return _buffer.WrittenCount;
    }
}
