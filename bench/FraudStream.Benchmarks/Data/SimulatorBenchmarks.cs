using BenchmarkDotNet.Attributes;
using FraudStream.Ingest.Simulation;

namespace FraudStream.Benchmarks.Data;

/// <summary>
/// Simulator throughput: one operation is one transaction (with the labels due meanwhile), over a
/// 100,000-transaction run of the default world (5,000 cards, 500 merchants).
/// </summary>
[MemoryDiagnoser]
public class SimulatorBenchmarks
{
    private const int Transactions = 100_000;
    private TransactionSimulator _simulator = null!;

    [GlobalSetup]
    public void Setup() => _simulator = new TransactionSimulator(new SimulatorOptions { Seed = 7 });

    [Benchmark(OperationsPerInvoke = Transactions)]
    public int GenerateTransactions()
    {
        var events = 0;
        foreach (var e in _simulator.Generate(Transactions))
        {
            events += e.IsTransaction ? 1 : 0;
        }

        return events;
    }
}
