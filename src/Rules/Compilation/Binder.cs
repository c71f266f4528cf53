using System.Collections.Frozen;
using FraudStream.Rules.Ast;
using FraudStream.Rules.Parsing;

namespace FraudStream.Rules.Compilation;

/// <summary>
/// Resolves names (fields, features, model values, lists, functions) and checks types. Every error
/// yields a node of type <see cref="RuleType.Error"/> so one mistake is reported once, not cascaded.
/// </summary>
internal sealed class Binder
{
    private readonly IReadOnlyDictionary<string, int> _features;
    private readonly IReadOnlyDictionary<string, BoundList> _lists;
    private readonly DiagnosticBag _diagnostics;

    public Binder(IReadOnlyDictionary<string, int> features, IReadOnlyDictionary<string, BoundList> lists, DiagnosticBag diagnostics)
    {
        _features = features;
        _lists = lists;
        _diagnostics = diagnostics;
    }

    private static readonly BoundExpression ErrorNode = new BoundConstant(RuleType.Error, null);

    public BoundExpression BindCondition(RuleDeclaration rule)
    {
        var bound = Bind(rule.Condition);
        if (bound.Type is not (RuleType.Boolean or RuleType.Error))
        {
            Report(rule.Condition.Position, DiagnosticCodes.TypeMismatch, $"the condition of rule '{rule.Name}' is {bound.Type.Describe()}; a rule needs a true/false condition such as 'amount > 100'");
            return ErrorNode;
        }

        return bound;
    }

    private BoundExpression Bind(ExpressionSyntax syntax) => syntax switch
    {
        NumberLiteral n => new BoundConstant(RuleType.Number, n.Value),
        StringLiteral s => new BoundConstant(RuleType.String, s.Value),
        BooleanLiteral b => new BoundConstant(RuleType.Boolean, b.Value),
        NameSyntax name => BindName(name),
        UnarySyntax unary => BindUnary(unary),
        BinarySyntax binary => BindBinary(binary),
        CallSyntax call => BindCall(call),
        InListSyntax inList => BindInList(inList),
        BetweenSyntax between => BindBetween(between),
        IsMissingSyntax isMissing => BindIsMissing(isMissing),
        _ => throw new InvalidOperationException($"unhandled syntax {syntax.GetType().Name}"),
    };

    private BoundExpression BindName(NameSyntax name)
    {
        if (BuiltIns.Values.TryGetValue(name.Name, out var value))
        {
            return new BoundValue(value.Type, value.Source, -1, name.Name);
        }

        if (_features.TryGetValue(name.Name, out var index))
        {
            return new BoundValue(RuleType.Number, ValueSource.Feature, index, name.Name);
        }

        if (BuiltIns.Functions.ContainsKey(name.Name))
        {
            Report(name.Position, DiagnosticCodes.UnknownName, $"'{name.Name}' is a function; call it as {name.Name}(…)");
            return ErrorNode;
        }

        if (_lists.ContainsKey(name.Name))
        {
            Report(name.Position, DiagnosticCodes.UnknownName, $"'{name.Name}' is a list; use it as 'x in @{name.Name}'");
            return ErrorNode;
        }

        var hint = NameSuggester.Hint(name.Name, BuiltIns.Values.Keys.Concat(_features.Keys));
        Report(name.Position, DiagnosticCodes.UnknownName, $"unknown name '{name.Name}'{hint}");
        return ErrorNode;
    }

    private BoundExpression BindUnary(UnarySyntax unary)
    {
        var operand = Bind(unary.Operand);
        if (unary.Operator == UnaryOperator.Not)
        {
            return Require(operand, RuleType.Boolean, unary.Operand.Position, "'not'") ? new BoundNot(operand) : ErrorNode;
        }

        return Require(operand, RuleType.Number, unary.Operand.Position, "'-'") ? new BoundNegate(operand) : ErrorNode;
    }

    private BoundExpression BindBinary(BinarySyntax binary)
    {
        var left = Bind(binary.Left);
        var right = Bind(binary.Right);
        var symbol = Symbol(binary.Operator);
        switch (binary.Operator)
        {
            case BinaryOperator.And:
            case BinaryOperator.Or:
                {
                    var ok = Require(left, RuleType.Boolean, binary.Left.Position, $"'{symbol}'");
                    ok &= Require(right, RuleType.Boolean, binary.Right.Position, $"'{symbol}'");
                    return ok ? new BoundLogical(binary.Operator == BinaryOperator.And, [left, right]) : ErrorNode;
                }

            case BinaryOperator.Add:
            case BinaryOperator.Subtract:
            case BinaryOperator.Multiply:
            case BinaryOperator.Divide:
            case BinaryOperator.Modulo:
                {
                    var ok = Require(left, RuleType.Number, binary.Left.Position, $"'{symbol}'");
                    ok &= Require(right, RuleType.Number, binary.Right.Position, $"'{symbol}'");
                    return ok ? new BoundArithmetic(binary.Operator, left, right) : ErrorNode;
                }

            default:
                return BindComparison(binary, left, right, symbol);
        }
    }

    private BoundExpression BindComparison(BinarySyntax binary, BoundExpression left, BoundExpression right, string symbol)
    {
        if (left.Type == RuleType.Error || right.Type == RuleType.Error)
        {
            return ErrorNode;
        }

        var equality = binary.Operator is BinaryOperator.Equal or BinaryOperator.NotEqual;
        if (left.Type != right.Type)
        {
            Report(binary.Position, DiagnosticCodes.TypeMismatch, $"'{symbol}' compares {left.Type.Describe()} with {right.Type.Describe()}{QuoteHint(left, right)}");
            return ErrorNode;
        }

        if (left.Type == RuleType.Timestamp)
        {
            Report(binary.Position, DiagnosticCodes.TypeMismatch, "timestamps cannot be compared; use hour(ts) or day_of_week(ts)");
            return ErrorNode;
        }

        if (!equality && left.Type != RuleType.Number)
        {
            Report(binary.Position, DiagnosticCodes.TypeMismatch, $"'{symbol}' needs numbers, not {left.Type.Describe()}; strings and booleans support only == and !=");
            return ErrorNode;
        }

        return new BoundComparison(binary.Operator, left.Type, left, right);
    }

    private static string QuoteHint(BoundExpression left, BoundExpression right) =>
        (left.Type, right.Type) switch
        {
            (RuleType.String, RuleType.Number) or (RuleType.Number, RuleType.String) => " (numbers are written without quotes, strings with)",
            _ => "",
        };

    private BoundExpression BindCall(CallSyntax call)
    {
        var arguments = new List<BoundExpression>(call.Arguments.Count);
        var anyError = false;
        foreach (var argument in call.Arguments)
        {
            var bound = Bind(argument);
            anyError |= bound.Type == RuleType.Error;
            arguments.Add(bound);
        }

        if (!BuiltIns.Functions.TryGetValue(call.Function, out var overloads))
        {
            var hint = NameSuggester.Hint(call.Function, BuiltIns.Functions.Keys);
            Report(call.Position, DiagnosticCodes.UnknownFunction, $"unknown function '{call.Function}'{hint}");
            return ErrorNode;
        }

        if (anyError)
        {
            return ErrorNode;
        }

        foreach (var overload in overloads)
        {
            if (Matches(overload, arguments))
            {
                return new BoundCall(overload, arguments);
            }
        }

        var first = overloads[0];
        var arityOk = first.Variadic ? arguments.Count >= first.Parameters.Length : arguments.Count == first.Parameters.Length;
        var expected = string.Join(" or ", overloads.Select(BuiltIns.Signature));
        if (!arityOk)
        {
            Report(call.Position, DiagnosticCodes.WrongArgumentCount, $"{call.Function} takes {(first.Variadic ? "at least " : "")}{first.Parameters.Length} argument(s), not {arguments.Count}: {expected}");
        }
        else
        {
            var given = string.Join(", ", arguments.Select(a => a.Type.Describe()));
            Report(call.Position, DiagnosticCodes.TypeMismatch, $"{call.Function} cannot take ({given}); expected {expected}");
        }

        return ErrorNode;
    }

    private static bool Matches(FunctionSignature function, List<BoundExpression> arguments)
    {
        if (function.Variadic)
        {
            if (arguments.Count < function.Parameters.Length)
            {
                return false;
            }

            foreach (var a in arguments)
            {
                if (a.Type != function.Parameters[0])
                {
                    return false;
                }
            }

            return true;
        }

        if (arguments.Count != function.Parameters.Length)
        {
            return false;
        }

        for (var i = 0; i < arguments.Count; i++)
        {
            if (arguments[i].Type != function.Parameters[i])
            {
                return false;
            }
        }

        return true;
    }

    private BoundExpression BindInList(InListSyntax inList)
    {
        var operand = Bind(inList.Operand);
        BoundList? list;
        if (inList.List.Name is { } name)
        {
            if (!_lists.TryGetValue(name, out list))
            {
                var hint = NameSuggester.Hint(name, _lists.Keys);
                Report(inList.List.Position, DiagnosticCodes.UnknownList, $"unknown list '@{name}'{hint}; declare it with 'list {name} = file(\"…\")'");
                return ErrorNode;
            }
        }
        else
        {
            list = BindInlineList("inline list", inList.List.Items!, inList.List.Position, _diagnostics);
            if (list is null)
            {
                return ErrorNode;
            }
        }

        if (operand.Type == RuleType.Error)
        {
            return ErrorNode;
        }

        if (list.Count == 0)
        {
            // An empty list matches nothing; its element type is whatever the operand is.
            list = list with { ElementType = operand.Type };
        }

        if (operand.Type is not (RuleType.Number or RuleType.String) || operand.Type != list.ElementType)
        {
            Report(inList.Position, DiagnosticCodes.TypeMismatch, $"'{(inList.Negated ? "not in" : "in")}' tests {operand.Type.Describe()} against a list of {Plural(list.ElementType)}");
            return ErrorNode;
        }

        if (list.Count == 0 && list.Set is FrozenSet<string> && operand.Type == RuleType.Number)
        {
            list = list with { Set = FrozenSet<double>.Empty };
        }

        return new BoundInList(operand, list, inList.Negated);
    }

    private static string Plural(RuleType type) => type switch
    {
        RuleType.Number => "numbers",
        RuleType.String => "strings",
        RuleType.Boolean => "booleans",
        _ => "values",
    };

    /// <summary>Binds literal items to a frozen set; items must be all numbers or all strings.</summary>
    public static BoundList? BindInlineList(string name, IReadOnlyList<LiteralSyntax> items, SourcePosition position, DiagnosticBag diagnostics)
    {
        if (items.Count == 0)
        {
            return new BoundList(name, RuleType.String, FrozenSet<string>.Empty, 0, null);
        }

        var elementType = items[0] switch
        {
            NumberLiteral => RuleType.Number,
            StringLiteral => RuleType.String,
            _ => RuleType.Boolean,
        };
        if (elementType == RuleType.Boolean)
        {
            diagnostics.Add(items[0].Position, DiagnosticCodes.TypeMismatch, "lists hold numbers or strings, not booleans");
            return null;
        }

        var numbers = new HashSet<double>();
        var strings = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            switch (item)
            {
                case NumberLiteral n when elementType == RuleType.Number:
                    numbers.Add(n.Value);
                    break;
                case StringLiteral s when elementType == RuleType.String:
                    strings.Add(s.Value);
                    break;
                default:
                    diagnostics.Add(item.Position, DiagnosticCodes.TypeMismatch, $"list items must all be {Plural(elementType)}");
                    return null;
            }
        }

        _ = position;
        return elementType == RuleType.Number
            ? new BoundList(name, RuleType.Number, numbers.ToFrozenSet(), numbers.Count, null)
            : new BoundList(name, RuleType.String, strings.ToFrozenSet(StringComparer.Ordinal), strings.Count, null);
    }

    private BoundExpression BindBetween(BetweenSyntax between)
    {
        var operand = Bind(between.Operand);
        var low = Bind(between.Low);
        var high = Bind(between.High);
        var ok = Require(operand, RuleType.Number, between.Operand.Position, "'between'");
        ok &= Require(low, RuleType.Number, between.Low.Position, "'between'");
        ok &= Require(high, RuleType.Number, between.High.Position, "'between'");
        return ok ? new BoundBetween(operand, low, high, between.Negated) : ErrorNode;
    }

    private BoundExpression BindIsMissing(IsMissingSyntax isMissing)
    {
        var operand = Bind(isMissing.Operand);
        if (operand.Type == RuleType.Error)
        {
            return ErrorNode;
        }

        if (operand.Type is not (RuleType.Number or RuleType.String))
        {
            Report(isMissing.Position, DiagnosticCodes.TypeMismatch, $"'is missing' applies to numbers and strings, not {operand.Type.Describe()}");
            return ErrorNode;
        }

        return new BoundIsMissing(operand, isMissing.Negated);
    }

    private bool Require(BoundExpression bound, RuleType expected, SourcePosition position, string context)
    {
        if (bound.Type == expected)
        {
            return true;
        }

        if (bound.Type != RuleType.Error)
        {
            Report(position, DiagnosticCodes.TypeMismatch, $"{context} needs {expected.Describe()} here, not {bound.Type.Describe()}");
        }

        return false;
    }

    private void Report(SourcePosition position, string code, string message) => _diagnostics.Add(position, code, message);

    private static string Symbol(BinaryOperator op) => op switch
    {
        BinaryOperator.Add => "+",
        BinaryOperator.Subtract => "-",
        BinaryOperator.Multiply => "*",
        BinaryOperator.Divide => "/",
        BinaryOperator.Modulo => "%",
        BinaryOperator.Equal => "==",
        BinaryOperator.NotEqual => "!=",
        BinaryOperator.Less => "<",
        BinaryOperator.LessOrEqual => "<=",
        BinaryOperator.Greater => ">",
        BinaryOperator.GreaterOrEqual => ">=",
        BinaryOperator.And => "and",
        _ => "or",
    };
}
