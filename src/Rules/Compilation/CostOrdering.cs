namespace FraudStream.Rules.Compilation;

/// <summary>
/// Flattens and/or chains and orders their operands cheapest first, so short-circuiting skips the
/// expensive tests (list lookups, string work) whenever a cheap numeric test already decides. Safe
/// because the language has no side effects and nothing in it throws.
/// </summary>
internal static class CostOrdering
{
    public static BoundExpression Reorder(BoundExpression node) => node switch
    {
        BoundLogical logical => ReorderLogical(logical),
        BoundNot not => new BoundNot(Reorder(not.Operand)),
        _ => node,
    };

    private static BoundLogical ReorderLogical(BoundLogical logical)
    {
        var operands = new List<BoundExpression>();
        Flatten(logical, logical.IsAnd, operands);
        for (var i = 0; i < operands.Count; i++)
        {
            operands[i] = Reorder(operands[i]);
        }

        // Stable: equal costs keep the analyst's order.
        var ordered = operands.Select((o, i) => (o, i)).OrderBy(x => x.o.Cost).ThenBy(x => x.i).Select(x => x.o).ToList();
        return new BoundLogical(logical.IsAnd, ordered);
    }

    private static void Flatten(BoundExpression node, bool isAnd, List<BoundExpression> into)
    {
        if (node is BoundLogical logical && logical.IsAnd == isAnd)
        {
            foreach (var operand in logical.Operands)
            {
                Flatten(operand, isAnd, into);
            }
        }
        else
        {
            into.Add(node);
        }
    }
}
