using FraudStream.Ingest.Simulation;
using FraudStream.Ingest.Tests.Infrastructure;

namespace FraudStream.Ingest.Tests.Simulation;

public sealed class SimulatorDeterminismTests
{
    private static string[] Render(SimulatorOptions options, int count) =>
        new TransactionSimulator(options).Generate(count).Select(SimulatedStreams.Render).ToArray();

    [Fact]
    public void Same_seed_gives_an_identical_stream_from_two_simulators()
    {
        var options = new SimulatorOptions { Seed = 42, Cards = 300, Merchants = 60 };
        var first = Render(options, 20_000);
        var second = Render(options, 20_000);

        Assert.True(first.Length > 20_000);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Different_seeds_give_different_streams()
    {
        var first = Render(new SimulatorOptions { Seed = 1, Cards = 300, Merchants = 60 }, 2_000);
        var second = Render(new SimulatorOptions { Seed = 2, Cards = 300, Merchants = 60 }, 2_000);

        Assert.NotEqual(first, second);
        Assert.True(first.Intersect(second).Count() < 10);
    }

    [Fact]
    public void Enumerating_one_simulator_twice_replays_the_same_stream()
    {
        var simulator = new TransactionSimulator(new SimulatorOptions { Seed = 9, Cards = 200, Merchants = 40 });

        var first = simulator.Generate(5_000).Select(SimulatedStreams.Render).ToArray();
        var second = simulator.Generate(5_000).Select(SimulatedStreams.Render).ToArray();

        Assert.Equal(first, second);
    }

    [Fact]
    public void A_shorter_stream_is_a_prefix_of_a_longer_one_with_the_same_seed()
    {
        var simulator = new TransactionSimulator(new SimulatorOptions { Seed = 5, Cards = 200, Merchants = 40 });

        var shortTx = simulator.Generate(1_000).Where(e => e.IsTransaction).Select(SimulatedStreams.Render).ToArray();
        var longTx = simulator.Generate(3_000).Where(e => e.IsTransaction).Select(SimulatedStreams.Render).Take(1_000).ToArray();

        Assert.Equal(shortTx, longTx);
    }

    [Fact]
    public void Invalid_options_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransactionSimulator(new SimulatorOptions { Cards = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransactionSimulator(new SimulatorOptions { FraudRate = 0.9 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransactionSimulator(new SimulatorOptions { StartTime = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Local) }));
    }
}

public sealed class SimulatorWorldSizeTests
{
    [Theory]
    [InlineData(10, 20)]
    [InlineData(50, 25)]
    [InlineData(3000, 1000)]
    public void Small_and_large_worlds_produce_valid_transactions(int cards, int merchants)
    {
        var options = new SimulatorOptions { Seed = 21, Cards = cards, Merchants = merchants, FraudRate = 0.05 };
        var events = new TransactionSimulator(options).Generate(3_000).ToList();

        var parsed = new FraudStream.Core.Contracts.Transaction();
        Assert.Equal(3_000, events.Count(e => e.IsTransaction));
        Assert.All(events.Where(e => e.IsTransaction), e => Assert.True(FraudStream.Core.Contracts.TransactionJson.TryParse(
            FraudStream.Core.Contracts.TransactionJson.Serialize(e.Transaction!), parsed, out var error), error.ToString()));
        Assert.Contains(events, e => e.IsFraud);
    }
}
