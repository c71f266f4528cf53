using FraudStream.Core.Contracts;
using FraudStream.Testing;

namespace FraudStream.Rules.Tests;

public sealed class SemanticsTests
{
    public static TheoryData<string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var fields in TestInputs.ReadCases("semantics.cases", 3))
        {
            data.Add(fields[0], fields[1], bool.Parse(fields[2]));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Expression_evaluates_as_the_case_file_says(string expression, string inputs, bool expected)
    {
        var ruleset = TestInputs.CompileCondition(expression);
        var context = TestInputs.Parse(inputs);
        var reasons = new List<string>();

        ruleset.Evaluate(context, reasons, null);

        Assert.Equal(expected, reasons.Contains("probe"));
    }

    [Fact]
    public void Case_file_has_enough_cases_to_pin_the_semantics()
    {
        Assert.True(Cases().Count >= 100);
    }

    [Fact]
    public void String_list_from_a_file_matches_trimmed_lines_and_ignores_comments()
    {
        using var dir = new TempDirectory();
        dir.Write("lists/vip.txt", "# VIP cards\n  card-1  \n\ncard-2\r\n");
        var options = Compilation.RulesCompileOptions.Default with { BaseDirectory = dir.Path };
        var ruleset = Compilation.RulesCompiler.Compile("list vip = file(\"lists/vip.txt\")\nrule vip: approve if card in @vip\nrule other: review if card not in @vip", options);
        var reasons = new List<string>();

        foreach (var (card, expected) in new[] { ("card-1", "vip"), ("card-2", "vip"), ("card-3", "other"), ("# VIP cards", "other") })
        {
            var context = TestInputs.NewContext();
            context.Transaction.Card = card;
            reasons.Clear();
            ruleset.Evaluate(context, reasons, null);
            Assert.Equal([expected], reasons);
        }
    }

    [Fact]
    public void Ruleset_version_changes_when_a_list_file_changes()
    {
        using var dir = new TempDirectory();
        dir.Write("vip.txt", "card-1\n");
        var options = Compilation.RulesCompileOptions.Default with { BaseDirectory = dir.Path };
        const string text = "list vip = file(\"vip.txt\")\nrule vip: approve if card in @vip";
        var first = Compilation.RulesCompiler.Compile(text, options);
        var same = Compilation.RulesCompiler.Compile(text, options);
        dir.Write("vip.txt", "card-1\ncard-2\n");
        var second = Compilation.RulesCompiler.Compile(text, options);

        Assert.Equal(first.Version, same.Version);
        Assert.NotEqual(first.Version, second.Version);
        Assert.Matches("^[0-9a-f]{12}$", first.Version);
    }

    [Fact]
    public void Rule_keeps_its_source_text_and_line_for_the_dashboard()
    {
        var ruleset = Compilation.RulesCompiler.Compile("# header\n\nrule big: review if amount > 1000 # trailing comment\nshadow rule s: decline if false");

        Assert.Equal(3, ruleset.Rules[0].Line);
        Assert.Equal("rule big: review if amount > 1000", ruleset.Rules[0].Text);
        Assert.Equal("shadow rule s: decline if false", ruleset.Rules[1].Text);
        Assert.True(ruleset.Rules[1].Shadow);
        Assert.Equal(DecisionKind.Decline, ruleset.Rules[1].Action);
    }

    [Fact]
    public void Rule_may_span_several_lines()
    {
        var ruleset = Compilation.RulesCompiler.Compile("rule multi: decline if\n    amount > 5\n    and country == \"ES\"");
        var reasons = new List<string>();

        ruleset.Evaluate(TestInputs.NewContext(), reasons, null);

        Assert.Equal(["multi"], reasons);
    }
}
