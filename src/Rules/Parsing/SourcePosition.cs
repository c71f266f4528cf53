namespace FraudStream.Rules.Parsing;

/// <summary>A 1-based line and column in a rules file (columns count UTF-16 characters).</summary>
public readonly record struct SourcePosition(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}
