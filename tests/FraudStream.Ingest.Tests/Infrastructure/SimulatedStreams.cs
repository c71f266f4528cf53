using FraudStream.Core.Contracts;
using FraudStream.Ingest.Simulation;

namespace FraudStream.Ingest.Tests.Infrastructure;

/// <summary>One medium stream shared by the tests that only read it: ~20 days of 1,000 cards.</summary>
internal static class SimulatedStreams
{
    public static readonly SimulatorOptions MediumOptions = new() { Seed = 7, Cards = 1000, Merchants = 200 };

    private static readonly Lazy<(TransactionSimulator Simulator, SimulatedEvent[] Events)> Medium = new(() =>
    {
        var simulator = new TransactionSimulator(MediumOptions);
        return (simulator, simulator.Generate(60_000).ToArray());
    });

    public static TransactionSimulator MediumSimulator => Medium.Value.Simulator;

    public static SimulatedEvent[] MediumStream => Medium.Value.Events;

    /// <summary>A byte-exact rendering of an event for comparing streams.</summary>
    public static string Render(SimulatedEvent e) => e.IsTransaction
        ? $"T {System.Text.Encoding.UTF8.GetString(TransactionJson.Serialize(e.Transaction))} {e.IsFraud} {e.Scenario}"
        : $"L {System.Text.Encoding.UTF8.GetString(LabelJson.Serialize(e.Label!))}";
}
