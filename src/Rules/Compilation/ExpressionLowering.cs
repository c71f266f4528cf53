using System.Collections.Frozen;
using System.Linq.Expressions;
using System.Reflection;
using FraudStream.Core.Contracts;
using FraudStream.Rules.Ast;
using FraudStream.Rules.Runtime;

namespace FraudStream.Rules.Compilation;

/// <summary>
/// Lowers a bound, type-checked condition to a LINQ expression tree over <see cref="RuleContext"/>.
/// The only calls emitted are property reads of the context and the built-ins in <see cref="BuiltIns"/>
/// and <see cref="RuleFunctions"/>: the language reaches nothing it does not name.
/// </summary>
internal static class ExpressionLowering
{
    private static readonly PropertyInfo TransactionProperty = typeof(RuleContext).GetProperty(nameof(RuleContext.Transaction))!;
    private static readonly PropertyInfo FeaturesProperty = typeof(RuleContext).GetProperty(nameof(RuleContext.Features))!;
    private static readonly PropertyInfo ScoreProperty = typeof(RuleContext).GetProperty(nameof(RuleContext.Score))!;
    private static readonly PropertyInfo ReviewProperty = typeof(RuleContext).GetProperty(nameof(RuleContext.ReviewThreshold))!;
    private static readonly PropertyInfo DeclineProperty = typeof(RuleContext).GetProperty(nameof(RuleContext.DeclineThreshold))!;
    private static readonly FieldInfo AmountField = typeof(RuleContext).GetField(nameof(RuleContext.AmountValue), BindingFlags.NonPublic | BindingFlags.Instance)!;
    private static readonly FieldInfo ChannelField = typeof(RuleContext).GetField(nameof(RuleContext.ChannelName), BindingFlags.NonPublic | BindingFlags.Instance)!;

    public const int RulesPerChunk = 64;

    /// <summary>
    /// Up to 64 conditions in one method: bit i of the result is set when condition i holds. One
    /// delegate call per 64 rules instead of one per rule.
    /// </summary>
    public static Expression<Func<RuleContext, ulong>> LowerChunk(IReadOnlyList<BoundExpression> conditions, int chunkIndex)
    {
        if (conditions.Count > RulesPerChunk)
        {
            throw new ArgumentOutOfRangeException(nameof(conditions), conditions.Count, "at most 64 conditions per chunk");
        }

        var context = Expression.Parameter(typeof(RuleContext), "context");
        var matched = Expression.Variable(typeof(ulong), "matched");
        var body = new List<Expression>(conditions.Count + 2) { Expression.Assign(matched, Expression.Constant(0UL)) };
        for (var i = 0; i < conditions.Count; i++)
        {
            body.Add(Expression.IfThen(Lower(conditions[i], context), Expression.OrAssign(matched, Expression.Constant(1UL << i))));
        }

        body.Add(matched);
        return Expression.Lambda<Func<RuleContext, ulong>>(Expression.Block(typeof(ulong), [matched], body), $"rules_{chunkIndex}", [context]);
    }

    private static Expression Lower(BoundExpression node, ParameterExpression context) => node switch
    {
        BoundConstant constant => LowerConstant(constant),
        BoundValue value => LowerValue(value, context),
        BoundNegate negate => Expression.Negate(Lower(negate.Operand, context)),
        BoundArithmetic arithmetic => LowerArithmetic(arithmetic, context),
        BoundComparison comparison => LowerComparison(comparison, context),
        BoundLogical logical => LowerLogical(logical, context),
        BoundNot not => Expression.Not(Lower(not.Operand, context)),
        BoundInList inList => LowerInList(inList, context),
        BoundBetween between => Call(
            between.Negated ? nameof(RuleFunctions.NotBetween) : nameof(RuleFunctions.Between),
            Lower(between.Operand, context), Lower(between.Low, context), Lower(between.High, context)),
        BoundIsMissing isMissing => LowerIsMissing(isMissing, context),
        BoundCall call => LowerCall(call, context),
        _ => throw new InvalidOperationException($"unhandled bound node {node.GetType().Name}"),
    };

    private static ConstantExpression LowerConstant(BoundConstant constant) => constant.Type switch
    {
        RuleType.Number => Expression.Constant((double)constant.Value!, typeof(double)),
        RuleType.String => Expression.Constant((string?)constant.Value, typeof(string)),
        RuleType.Boolean => Expression.Constant((bool)constant.Value!, typeof(bool)),
        _ => throw new InvalidOperationException("an invalid constant reached lowering"),
    };

    private static Expression LowerValue(BoundValue value, ParameterExpression context)
    {
        var tx = Expression.Property(context, TransactionProperty);
        return value.Source switch
        {
            ValueSource.Id => Expression.Property(tx, nameof(Transaction.Id)),
            ValueSource.Card => Expression.Property(tx, nameof(Transaction.Card)),
            ValueSource.Merchant => Expression.Property(tx, nameof(Transaction.Merchant)),
            ValueSource.Category => Expression.Property(tx, nameof(Transaction.Category)),
            ValueSource.Currency => Expression.Property(tx, nameof(Transaction.Currency)),
            ValueSource.Country => Expression.Property(tx, nameof(Transaction.Country)),
            ValueSource.Device => Expression.Property(tx, nameof(Transaction.Device)),
            ValueSource.Latitude => Expression.Property(tx, nameof(Transaction.Latitude)),
            ValueSource.Longitude => Expression.Property(tx, nameof(Transaction.Longitude)),
            ValueSource.Timestamp => Expression.Property(tx, nameof(Transaction.Timestamp)),
            ValueSource.Amount => Expression.Field(context, AmountField),
            ValueSource.Channel => Expression.Field(context, ChannelField),
            ValueSource.Feature => Expression.Convert(
                Expression.ArrayIndex(Expression.Property(context, FeaturesProperty), Expression.Constant(value.FeatureIndex)),
                typeof(double)),
            ValueSource.Score => Expression.Convert(Expression.Property(context, ScoreProperty), typeof(double)),
            ValueSource.ReviewThreshold => Expression.Convert(Expression.Property(context, ReviewProperty), typeof(double)),
            ValueSource.DeclineThreshold => Expression.Convert(Expression.Property(context, DeclineProperty), typeof(double)),
            _ => throw new InvalidOperationException($"unhandled value source {value.Source}"),
        };
    }

    private static Expression LowerArithmetic(BoundArithmetic arithmetic, ParameterExpression context)
    {
        var left = Lower(arithmetic.Left, context);
        var right = Lower(arithmetic.Right, context);
        return arithmetic.Operator switch
        {
            BinaryOperator.Add => Expression.Add(left, right),
            BinaryOperator.Subtract => Expression.Subtract(left, right),
            BinaryOperator.Multiply => Expression.Multiply(left, right),
            BinaryOperator.Divide => Call(nameof(RuleFunctions.Divide), left, right),
            _ => Call(nameof(RuleFunctions.Modulo), left, right),
        };
    }

    private static Expression LowerComparison(BoundComparison comparison, ParameterExpression context)
    {
        var left = Lower(ToValuePrecision(comparison.Left, comparison.Right), context);
        var right = Lower(ToValuePrecision(comparison.Right, comparison.Left), context);
        if (comparison.OperandType == RuleType.String)
        {
            return Call(comparison.Operator == BinaryOperator.Equal ? nameof(RuleFunctions.StringEquals) : nameof(RuleFunctions.StringNotEquals), left, right);
        }

        if (comparison.OperandType == RuleType.Boolean)
        {
            return comparison.Operator == BinaryOperator.Equal ? Expression.Equal(left, right) : Expression.NotEqual(left, right);
        }

        // IEEE comparisons are already false for NaN (missing); only != needs help.
        return comparison.Operator switch
        {
            BinaryOperator.Equal => Expression.Equal(left, right),
            BinaryOperator.NotEqual => Call(nameof(RuleFunctions.NotEqual), left, right),
            BinaryOperator.Less => Expression.LessThan(left, right),
            BinaryOperator.LessOrEqual => Expression.LessThanOrEqual(left, right),
            BinaryOperator.Greater => Expression.GreaterThan(left, right),
            _ => Expression.GreaterThanOrEqual(left, right),
        };
    }

    /// <summary>
    /// Features, the score and thresholds are 32-bit floats. Compared with a literal, the literal is
    /// rounded to float first, so <c>merchant.fraud_rate == 0.1</c> matches a stored 0.1f and
    /// <c>merchant.fraud_rate > 0.1</c> does not.
    /// </summary>
    private static BoundExpression ToValuePrecision(BoundExpression node, BoundExpression other) =>
        node is BoundConstant { Type: RuleType.Number, Value: double value }
        && other is BoundValue { Source: ValueSource.Feature or ValueSource.Score or ValueSource.ReviewThreshold or ValueSource.DeclineThreshold }
            ? new BoundConstant(RuleType.Number, (double)(float)value)
            : node;

    private static Expression LowerLogical(BoundLogical logical, ParameterExpression context)
    {
        var result = Lower(logical.Operands[0], context);
        for (var i = 1; i < logical.Operands.Count; i++)
        {
            var next = Lower(logical.Operands[i], context);
            result = logical.IsAnd ? Expression.AndAlso(result, next) : Expression.OrElse(result, next);
        }

        return result;
    }

    private static Expression LowerInList(BoundInList inList, ParameterExpression context)
    {
        var operand = Lower(inList.Operand, context);
        if (inList.List.ElementType == RuleType.String)
        {
            var set = Expression.Constant(inList.List.Set, typeof(FrozenSet<string>));
            return Call(inList.Negated ? nameof(RuleFunctions.NotInStrings) : nameof(RuleFunctions.InStrings), set, operand);
        }

        var numbers = (FrozenSet<double>)inList.List.Set;
        if (numbers.Count <= 4)
        {
            // A handful of numbers: plain comparisons beat hashing.
            var captured = Expression.Variable(typeof(double), "x");
            Expression test = Expression.Constant(false);
            foreach (var n in numbers.Order())
            {
                test = Expression.OrElse(test, Expression.Equal(captured, Expression.Constant(n)));
            }

            if (inList.Negated)
            {
                var present = Expression.Not(Expression.Call(typeof(double), nameof(double.IsNaN), null, captured));
                test = Expression.AndAlso(present, Expression.Not(test));
            }

            return Expression.Block(typeof(bool), [captured], Expression.Assign(captured, operand), test);
        }

        var constant = Expression.Constant(numbers, typeof(FrozenSet<double>));
        return Call(inList.Negated ? nameof(RuleFunctions.NotInNumbers) : nameof(RuleFunctions.InNumbers), constant, operand);
    }

    private static Expression LowerIsMissing(BoundIsMissing isMissing, ParameterExpression context)
    {
        var operand = Lower(isMissing.Operand, context);
        Expression missing = isMissing.Operand.Type == RuleType.String
            ? Expression.Equal(operand, Expression.Constant(null, typeof(string)))
            : Call(nameof(RuleFunctions.IsMissing), operand);
        return isMissing.Negated ? Expression.Not(missing) : missing;
    }

    private static Expression LowerCall(BoundCall call, ParameterExpression context)
    {
        var function = call.Function;
        if (function.Variadic)
        {
            var result = Lower(call.Arguments[0], context);
            for (var i = 1; i < call.Arguments.Count; i++)
            {
                result = Expression.Call(function.Method, result, Lower(call.Arguments[i], context));
            }

            return result;
        }

        var arguments = new Expression[call.Arguments.Count];
        for (var i = 0; i < arguments.Length; i++)
        {
            arguments[i] = Lower(call.Arguments[i], context);
        }

        return Expression.Call(function.Method, arguments);
    }

    private static MethodCallExpression Call(string name, params Expression[] arguments)
    {
        var types = new Type[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            types[i] = arguments[i].Type;
        }

        var method = typeof(RuleFunctions).GetMethod(name, BindingFlags.Public | BindingFlags.Static, types)
            ?? throw new InvalidOperationException($"RuleFunctions.{name} not found");
        return Expression.Call(method, arguments);
    }
}
