using System.CommandLine;
using FraudStream.Rules.Stage;
using FraudStream.Scoring.Runtime;

namespace FraudStream.Service.Cli;

internal static class CommonOptions
{
    public static Option<string> Bootstrap(bool required) => new("--bootstrap")
    {
        Description = "Kafka bootstrap servers HOST:PORT (a real Kafka, or the address `fraudstream broker` prints)",
        Required = required,
    };

    public static Option<string> Database() => new("--db")
    {
        Description = "Store: sqlite:PATH (default sqlite:fraudstream.db) or postgres:CONNECTION-STRING",
    };

    public static Option<double?> TargetMs() => new("--target-ms")
    {
        Description = "End-to-end latency target in milliseconds (default 45)",
    };

    public static Option<int?> DashboardPort() => new("--dashboard-port")
    {
        Description = "Serve the live dashboard on http://127.0.0.1:PORT/ (0 = off)",
    };

    public static Option<string> Model() => new("--model")
    {
        Description = $"Model package directory (model.json); default: the shipped data/model; {ScoringOptions.NoModel}: run without a model "
            + "(every decision flagged model_unavailable)",
    };

    public static Option<string> Rules() => new("--rules")
    {
        Description = $"Rules file, watched and hot-reloaded; default: the shipped data/rules/default.rules; {RulesOptions.NoRules}: "
            + "the model's thresholds decide",
    };

    /// <summary>The simulator's world (<see cref="FraudStream.Ingest.Simulation.SimulatorWorld"/>).</summary>
    public static Option<string> World()
    {
        var option = new Option<string>("--world")
        {
            Description = "Simulator world: standard (fixed knobs; data/model's) or hard (knobs drawn from the seed, fraud that imitates its "
                + "victims, legitimate outliers: docs/MODEL.md)",
            DefaultValueFactory = _ => "standard",
        };
        option.AcceptOnlyFromAmong("standard", "hard");
        return option;
    }

    /// <summary>The world <see cref="World"/> accepted (only its names get through); standard when unset.</summary>
    public static FraudStream.Ingest.Simulation.SimulatorWorld WorldOf(string? text) =>
        Enum.TryParse<FraudStream.Ingest.Simulation.SimulatorWorld>(text, ignoreCase: true, out var world) ? world : FraudStream.Ingest.Simulation.SimulatorWorld.Standard;

    /// <summary>Accepts exactly the device names configuration accepts (<see cref="ScoringOptions.DeviceNames"/>); unset: from configuration, else auto.</summary>
    public static Option<string> Device()
    {
        var option = new Option<string>("--device")
        {
            Description = $"Scoring device: {string.Join(", ", ScoringOptions.DeviceNames)} (auto: CUDA when a GPU is there, else the CPU); default auto",
        };
        option.AcceptOnlyFromAmong([.. ScoringOptions.DeviceNames]);
        return option;
    }
}
