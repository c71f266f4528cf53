using System.Reflection;
using FraudStream.Rules.Ast;

namespace FraudStream.Rules.Compilation;

/// <summary>The value types of the language. <see cref="Error"/> marks a node already reported.</summary>
public enum RuleType
{
    Error,
    Number,
    String,
    Boolean,
    Timestamp,
}

internal static class RuleTypeNames
{
    public static string Describe(this RuleType type) => type switch
    {
        RuleType.Number => "a number",
        RuleType.String => "a string",
        RuleType.Boolean => "true/false",
        RuleType.Timestamp => "a timestamp",
        _ => "an invalid value",
    };
}

/// <summary>What a name resolves to.</summary>
internal enum ValueSource
{
    Id,
    Card,
    Merchant,
    Category,
    Amount,
    Currency,
    Country,
    Latitude,
    Longitude,
    Device,
    Channel,
    Timestamp,
    Feature,
    Score,
    ReviewThreshold,
    DeclineThreshold,
}

/// <summary>Typed, resolved expression; <see cref="Cost"/> is a rough relative evaluation cost.</summary>
internal abstract record BoundExpression(RuleType Type, int Cost);

internal sealed record BoundConstant(RuleType ConstantType, object? Value) : BoundExpression(ConstantType, 0);

internal sealed record BoundValue(RuleType ValueType, ValueSource Source, int FeatureIndex, string Name) : BoundExpression(ValueType, 1);

internal sealed record BoundNegate(BoundExpression Operand) : BoundExpression(RuleType.Number, Operand.Cost + 1);

internal sealed record BoundArithmetic(BinaryOperator Operator, BoundExpression Left, BoundExpression Right)
    : BoundExpression(RuleType.Number, Left.Cost + Right.Cost + (Operator is BinaryOperator.Divide or BinaryOperator.Modulo ? 3 : 1));

internal sealed record BoundComparison(BinaryOperator Operator, RuleType OperandType, BoundExpression Left, BoundExpression Right)
    : BoundExpression(RuleType.Boolean, Left.Cost + Right.Cost + (OperandType == RuleType.String ? 4 : 1));

internal sealed record BoundLogical(bool IsAnd, IReadOnlyList<BoundExpression> Operands)
    : BoundExpression(RuleType.Boolean, SumCost(Operands))
{
    private static int SumCost(IReadOnlyList<BoundExpression> operands)
    {
        var sum = 0;
        foreach (var o in operands)
        {
            sum += o.Cost;
        }

        return sum;
    }
}

internal sealed record BoundNot(BoundExpression Operand) : BoundExpression(RuleType.Boolean, Operand.Cost);

internal sealed record BoundInList(BoundExpression Operand, BoundList List, bool Negated)
    : BoundExpression(RuleType.Boolean, Operand.Cost + (List.ElementType == RuleType.String ? 15 : 8));

internal sealed record BoundBetween(BoundExpression Operand, BoundExpression Low, BoundExpression High, bool Negated)
    : BoundExpression(RuleType.Boolean, Operand.Cost + Low.Cost + High.Cost + 2);

internal sealed record BoundIsMissing(BoundExpression Operand, bool Negated) : BoundExpression(RuleType.Boolean, Operand.Cost + 1);

internal sealed record BoundCall(FunctionSignature Function, IReadOnlyList<BoundExpression> Arguments)
    : BoundExpression(Function.Result, Function.Cost + SumArguments(Arguments))
{
    private static int SumArguments(IReadOnlyList<BoundExpression> arguments)
    {
        var sum = 0;
        foreach (var a in arguments)
        {
            sum += a.Cost;
        }

        return sum;
    }
}

/// <summary>A resolved list: its elements (a frozen set of strings or of numbers) and where it came from.</summary>
internal sealed record BoundList(string Name, RuleType ElementType, object Set, int Count, string? FilePath);

/// <summary>One overload of a built-in function. Variadic functions fold pairwise over their arguments.</summary>
internal sealed record FunctionSignature(string Name, RuleType[] Parameters, RuleType Result, MethodInfo Method, int Cost, bool Variadic = false);
