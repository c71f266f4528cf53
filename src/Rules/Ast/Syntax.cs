using FraudStream.Core.Contracts;
using FraudStream.Rules.Parsing;

namespace FraudStream.Rules.Ast;

/// <summary>A parsed rules file: list declarations and rules in source order.</summary>
public sealed record RulesFileSyntax(IReadOnlyList<ListDeclaration> Lists, IReadOnlyList<RuleDeclaration> Rules);

/// <summary><c>list NAME = file("PATH")</c> or <c>list NAME = ["a", "b"]</c>.</summary>
public sealed record ListDeclaration(string Name, SourcePosition Position, string? FilePath, IReadOnlyList<LiteralSyntax>? Items, SourcePosition SourcePosition);

/// <summary><c>[shadow] rule NAME: ACTION if CONDITION</c>.</summary>
public sealed record RuleDeclaration(string Name, SourcePosition Position, DecisionKind Action, bool Shadow, ExpressionSyntax Condition, string Text);

public abstract record ExpressionSyntax(SourcePosition Position)
{
    /// <summary>Height of the tree under this node; bounded by the parser so later passes can recurse safely.</summary>
    public abstract int Depth { get; }
}

public abstract record LiteralSyntax(SourcePosition Position) : ExpressionSyntax(Position)
{
    public override int Depth => 1;
}

public sealed record NumberLiteral(double Value, SourcePosition Position) : LiteralSyntax(Position);

public sealed record StringLiteral(string Value, SourcePosition Position) : LiteralSyntax(Position);

public sealed record BooleanLiteral(bool Value, SourcePosition Position) : LiteralSyntax(Position);

public sealed record NameSyntax(string Name, SourcePosition Position) : ExpressionSyntax(Position)
{
    public override int Depth => 1;
}

public sealed record CallSyntax(string Function, IReadOnlyList<ExpressionSyntax> Arguments, SourcePosition Position) : ExpressionSyntax(Position)
{
    public override int Depth { get; } = 1 + MaxDepth(Arguments);

    private static int MaxDepth(IReadOnlyList<ExpressionSyntax> arguments)
    {
        var max = 0;
        foreach (var a in arguments)
        {
            max = Math.Max(max, a.Depth);
        }

        return max;
    }
}

public enum UnaryOperator
{
    Negate,
    Not,
}

public sealed record UnarySyntax(UnaryOperator Operator, ExpressionSyntax Operand, SourcePosition Position) : ExpressionSyntax(Position)
{
    public override int Depth { get; } = 1 + Operand.Depth;
}

public enum BinaryOperator
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    And,
    Or,
}

public sealed record BinarySyntax(BinaryOperator Operator, ExpressionSyntax Left, ExpressionSyntax Right, SourcePosition Position) : ExpressionSyntax(Position)
{
    public override int Depth { get; } = 1 + Math.Max(Left.Depth, Right.Depth);
}

/// <summary>The right side of <c>in</c>: a named list (<c>@name</c>) or literal items.</summary>
public sealed record ListSyntax(string? Name, IReadOnlyList<LiteralSyntax>? Items, SourcePosition Position);

public sealed record InListSyntax(ExpressionSyntax Operand, ListSyntax List, bool Negated, SourcePosition Position) : ExpressionSyntax(Position)
{
    public override int Depth { get; } = 1 + Operand.Depth;
}

public sealed record BetweenSyntax(ExpressionSyntax Operand, ExpressionSyntax Low, ExpressionSyntax High, bool Negated, SourcePosition Position) : ExpressionSyntax(Position)
{
    public override int Depth { get; } = 1 + Math.Max(Operand.Depth, Math.Max(Low.Depth, High.Depth));
}

public sealed record IsMissingSyntax(ExpressionSyntax Operand, bool Negated, SourcePosition Position) : ExpressionSyntax(Position)
{
    public override int Depth { get; } = 1 + Operand.Depth;
}
