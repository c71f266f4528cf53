using FraudStream.Training.Evaluation;

namespace FraudStream.Service.Cli;

/// <summary>Connects a rules file to evaluation and backtesting, once the rules engine is in.</summary>
internal static class RulesHook
{
    public static RuleDecider? Create(string? rulesFile, string modelDirectory)
    {
        _ = modelDirectory;
        if (rulesFile is null)
        {
            return null;
        }

        throw new InvalidOperationException("--rules needs the rules engine, which this build does not include yet");
    }
}
