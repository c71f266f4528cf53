using FraudStream.Rules.Ast;
using FraudStream.Rules.Compilation;
using FraudStream.Rules.Parsing;

namespace FraudStream.Rules.Tests;

public sealed class CostOrderingTests
{
    private static BoundExpression Bind(string condition)
    {
        var bag = new DiagnosticBag();
        var text = "list vip = [\"a\", \"b\"]\nrule r: decline if " + condition;
        var syntax = new Parser(text, new Lexer(text, bag).Tokenize(), bag, 32).ParseFile();
        var list = Binder.BindInlineList("vip", syntax.Lists[0].Items!, default, bag)!;
        var features = new Dictionary<string, int> { ["card.count_1m"] = 0 };
        var bound = new Binder(features, new Dictionary<string, BoundList> { ["vip"] = list }, bag).BindCondition(syntax.Rules[0]);
        Assert.False(bag.HasErrors);
        return bound;
    }

    [Fact]
    public void Cheap_numeric_tests_run_before_list_lookups_and_string_work()
    {
        var ordered = (BoundLogical)CostOrdering.Reorder(Bind("card in @vip and contains(merchant, \"x\") and amount > 5"));

        Assert.True(ordered.IsAnd);
        Assert.IsType<BoundComparison>(ordered.Operands[0]);
        Assert.IsType<BoundCall>(ordered.Operands[1]);
        Assert.IsType<BoundInList>(ordered.Operands[2]);
    }

    [Fact]
    public void Nested_chains_of_the_same_operator_are_flattened_and_others_kept_whole()
    {
        var ordered = (BoundLogical)CostOrdering.Reorder(Bind("card in @vip or (amount > 5 or (card.count_1m > 1 and amount < 2))"));

        Assert.False(ordered.IsAnd);
        Assert.Equal(3, ordered.Operands.Count);
        Assert.IsType<BoundComparison>(ordered.Operands[0]);
        Assert.IsType<BoundLogical>(ordered.Operands[1]);
        Assert.IsType<BoundInList>(ordered.Operands[2]);
    }

    [Fact]
    public void Reordering_keeps_the_result()
    {
        var ruleset = RulesCompiler.Compile("list vip = [\"card-1\"]\nrule r: decline if card in @vip and amount > 5 or not (country == \"ES\") and amount < 100");
        var reasons = new List<string>();

        ruleset.Evaluate(TestInputs.Parse("amount=10"), reasons, null);
        Assert.Equal(["r"], reasons);
        reasons.Clear();
        ruleset.Evaluate(TestInputs.Parse("amount=4"), reasons, null);
        Assert.Empty(reasons);
        reasons.Clear();
        ruleset.Evaluate(TestInputs.Parse("amount=4; country=\"FR\""), reasons, null);
        Assert.Equal(["r"], reasons);
    }
}
