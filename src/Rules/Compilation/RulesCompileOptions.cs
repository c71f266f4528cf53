using FraudStream.Features.Schema;

namespace FraudStream.Rules.Compilation;

/// <summary>What the compiler binds against and the limits it enforces.</summary>
public sealed record RulesCompileOptions
{
    public static RulesCompileOptions Default { get; } = new();

    /// <summary>Feature names in the order of <see cref="Runtime.RuleContext.Features"/>.</summary>
    public IReadOnlyList<string> FeatureNames { get; init; } = FeatureSchema.Names;

    /// <summary>Directory that <c>file("…")</c> paths are relative to; list files may not leave it.</summary>
    public string? BaseDirectory { get; init; }

    public int MaxSourceBytes { get; init; } = 1024 * 1024;

    public int MaxRules { get; init; } = 1000;

    public int MaxLists { get; init; } = 100;

    /// <summary>Expression nesting limit (parentheses, operators, calls).</summary>
    public int MaxDepth { get; init; } = 32;

    public long MaxListFileBytes { get; init; } = 16L * 1024 * 1024;

    public int MaxListItems { get; init; } = 1_000_000;
}
