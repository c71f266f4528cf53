using System.CommandLine;

namespace FraudStream.Service.Cli;

internal static class CommandLine
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("FraudStream: real-time card-fraud decisioning");
        root.Subcommands.Add(BrokerCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(SimulateCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(CompileCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(RulesCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        return root.Parse(args).Invoke();
    }
}
