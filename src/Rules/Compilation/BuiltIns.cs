using System.Reflection;
using FraudStream.Rules.Runtime;

namespace FraudStream.Rules.Compilation;

/// <summary>The names and functions the language knows besides features. Nothing else is reachable.</summary>
internal static class BuiltIns
{
    public static readonly IReadOnlyDictionary<string, (RuleType Type, ValueSource Source)> Values =
        new Dictionary<string, (RuleType, ValueSource)>(StringComparer.Ordinal)
        {
            ["id"] = (RuleType.String, ValueSource.Id),
            ["card"] = (RuleType.String, ValueSource.Card),
            ["merchant"] = (RuleType.String, ValueSource.Merchant),
            ["category"] = (RuleType.String, ValueSource.Category),
            ["amount"] = (RuleType.Number, ValueSource.Amount),
            ["currency"] = (RuleType.String, ValueSource.Currency),
            ["country"] = (RuleType.String, ValueSource.Country),
            ["lat"] = (RuleType.Number, ValueSource.Latitude),
            ["lon"] = (RuleType.Number, ValueSource.Longitude),
            ["device"] = (RuleType.String, ValueSource.Device),
            ["channel"] = (RuleType.String, ValueSource.Channel),
            ["ts"] = (RuleType.Timestamp, ValueSource.Timestamp),
            ["score"] = (RuleType.Number, ValueSource.Score),
            ["model.review_threshold"] = (RuleType.Number, ValueSource.ReviewThreshold),
            ["model.decline_threshold"] = (RuleType.Number, ValueSource.DeclineThreshold),
        };

    public static readonly IReadOnlyDictionary<string, FunctionSignature[]> Functions = BuildFunctions();

    private static Dictionary<string, FunctionSignature[]> BuildFunctions()
    {
        const RuleType N = RuleType.Number;
        const RuleType S = RuleType.String;
        const RuleType B = RuleType.Boolean;
        const RuleType T = RuleType.Timestamp;
        var math = typeof(Math);
        var own = typeof(RuleFunctions);
        return new Dictionary<string, FunctionSignature[]>(StringComparer.Ordinal)
        {
            ["abs"] = [new("abs", [N], N, Method(math, nameof(Math.Abs), typeof(double)), 1)],
            ["log"] = [new("log", [N], N, Method(own, nameof(RuleFunctions.Log), typeof(double)), 10)],
            ["sqrt"] = [new("sqrt", [N], N, Method(math, nameof(Math.Sqrt), typeof(double)), 4)],
            ["round"] = [new("round", [N], N, Method(own, nameof(RuleFunctions.Round), typeof(double)), 3)],
            ["floor"] = [new("floor", [N], N, Method(math, nameof(Math.Floor), typeof(double)), 2)],
            ["ceil"] = [new("ceil", [N], N, Method(math, nameof(Math.Ceiling), typeof(double)), 2)],
            ["min"] = [new("min", [N, N], N, Method(math, nameof(Math.Min), typeof(double), typeof(double)), 1, Variadic: true)],
            ["max"] = [new("max", [N, N], N, Method(math, nameof(Math.Max), typeof(double), typeof(double)), 1, Variadic: true)],
            ["coalesce"] =
            [
                new("coalesce", [N, N], N, Method(own, nameof(RuleFunctions.Coalesce), typeof(double), typeof(double)), 1),
                new("coalesce", [S, S], S, Method(own, nameof(RuleFunctions.Coalesce), typeof(string), typeof(string)), 1),
            ],
            ["hour"] = [new("hour", [T], N, Method(own, nameof(RuleFunctions.Hour), typeof(DateTime)), 3)],
            ["day_of_week"] = [new("day_of_week", [T], N, Method(own, nameof(RuleFunctions.DayOfWeek), typeof(DateTime)), 3)],
            ["length"] = [new("length", [S], N, Method(own, nameof(RuleFunctions.Length), typeof(string)), 1)],
            ["starts_with"] = [new("starts_with", [S, S], B, Method(own, nameof(RuleFunctions.StartsWith), typeof(string), typeof(string)), 5)],
            ["ends_with"] = [new("ends_with", [S, S], B, Method(own, nameof(RuleFunctions.EndsWith), typeof(string), typeof(string)), 5)],
            ["contains"] = [new("contains", [S, S], B, Method(own, nameof(RuleFunctions.Contains), typeof(string), typeof(string)), 10)],
        };
    }

    private static MethodInfo Method(Type type, string name, params Type[] parameters) =>
        type.GetMethod(name, BindingFlags.Public | BindingFlags.Static, parameters)
        ?? throw new InvalidOperationException($"built-in {type.Name}.{name} not found");

    public static string Signature(FunctionSignature f)
    {
        var parameters = string.Join(", ", f.Parameters.Select(p => p.Describe()));
        return f.Variadic ? $"{f.Name}({parameters}, …)" : $"{f.Name}({parameters})";
    }
}
