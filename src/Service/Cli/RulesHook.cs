using FraudStream.Core.Contracts;
using FraudStream.Rules.Compilation;
using FraudStream.Rules.Runtime;
using FraudStream.Scoring.Packaging;
using FraudStream.Training.Evaluation;

namespace FraudStream.Service.Cli;

/// <summary>Connects a rules file to offline evaluation: the same compiled ruleset the service runs.</summary>
internal static class RulesHook
{
    public static Ruleset CompileFile(string path)
    {
        var text = File.ReadAllText(path);
        return RulesCompiler.Compile(text, new RulesCompileOptions { BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path)) });
    }

    public static RuleDecider? Create(string? rulesFile, string modelDirectory)
    {
        if (rulesFile is null)
        {
            return null;
        }

        var ruleset = CompileFile(rulesFile);
        var thresholds = ModelPackage.Load(modelDirectory).Thresholds;
        var context = new RuleContext { ReviewThreshold = (float)thresholds.Review, DeclineThreshold = (float)thresholds.Decline };
        var reasons = new List<string>();
        return (tx, features, score) =>
        {
            context.Transaction = tx;
            context.Features = features;
            context.Score = score;
            reasons.Clear();
            return ruleset.Evaluate(context, reasons, null);
        };
    }
}
