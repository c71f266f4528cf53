using FraudStream.Rules.Compilation;
using FraudStream.Testing;

namespace FraudStream.Rules.Tests;

public sealed class ErrorTests
{
    public static TheoryData<string, string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var fields in TestInputs.ReadCases("errors.cases", 3))
        {
            data.Add(fields[0], fields[1], fields[2], fields.Length > 3 ? fields[3] : "");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Error_is_reported_with_its_code_and_position(string source, string code, string position, string messagePart)
    {
        using var dir = new TempDirectory();
        dir.Write("lists/vip.txt", "card-1\n");
        var options = RulesCompileOptions.Default with { BaseDirectory = dir.Path };

        var ok = RulesCompiler.TryCompile(source.Replace("\\n", "\n", StringComparison.Ordinal), options, out var ruleset, out var diagnostics);

        Assert.False(ok);
        Assert.Null(ruleset);
        var expected = position.Split(':');
        var match = diagnostics.FirstOrDefault(d =>
            d.Code == code && d.Line == int.Parse(expected[0]) && d.Column == int.Parse(expected[1]));
        Assert.True(match is not null, $"expected {code} at {position}; got: {string.Join(" | ", diagnostics)}");
        Assert.Contains(messagePart, match.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_diagnostic_code_has_a_case_in_the_error_file_or_a_test_here()
    {
        var inFile = Cases().Select(row => (string)row[1]).ToHashSet();
        var testedHere = new[] { DiagnosticCodes.TooLarge, DiagnosticCodes.TooManyRules, DiagnosticCodes.TooDeep, DiagnosticCodes.TooManyErrors, DiagnosticCodes.Io };
        var all = typeof(DiagnosticCodes).GetFields().Select(f => (string)f.GetValue(null)!);

        Assert.All(all, code => Assert.True(inFile.Contains(code) || testedHere.Contains(code), $"no test for {code}"));
    }

    [Fact]
    public void Several_broken_rules_are_all_reported_and_nothing_compiles()
    {
        const string text = "rule a: decline if amout > 5\nrule b: review if amount >\nrule c: decline if amount > 1\nrule d: review if country > 1";

        var ok = RulesCompiler.TryCompile(text, RulesCompileOptions.Default, out var ruleset, out var diagnostics);

        Assert.False(ok);
        Assert.Null(ruleset);
        Assert.Equal([1, 2, 4], diagnostics.Select(d => d.Line).ToArray());
    }

    [Fact]
    public void Compile_throws_an_exception_carrying_the_diagnostics()
    {
        var ex = Assert.Throws<RulesCompileException>(() => RulesCompiler.Compile("rule a: decline if amout > 5"));

        Assert.Equal(DiagnosticCodes.UnknownName, Assert.Single(ex.Diagnostics).Code);
        Assert.Contains("1:20", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_over_one_megabyte_is_rejected_before_parsing()
    {
        var text = "# " + new string('x', 1024 * 1024) + "\nrule a: decline if true";

        RulesCompiler.TryCompile(text, RulesCompileOptions.Default, out _, out var diagnostics);

        var d = Assert.Single(diagnostics);
        Assert.Equal((DiagnosticCodes.TooLarge, 1, 1), (d.Code, d.Line, d.Column));
    }

    [Fact]
    public void Rule_count_limit_points_at_the_first_rule_over_it()
    {
        var options = RulesCompileOptions.Default with { MaxRules = 3 };
        var text = string.Join('\n', Enumerable.Range(1, 5).Select(i => $"rule r{i}: review if amount > {i}"));

        RulesCompiler.TryCompile(text, options, out _, out var diagnostics);

        var d = Assert.Single(diagnostics);
        Assert.Equal((DiagnosticCodes.TooManyRules, 4, 6), (d.Code, d.Line, d.Column));
    }

    [Theory]
    [InlineData("(", ")", "true")]
    [InlineData("not ", "", "true")]
    [InlineData("-", "", "amount > 1")]
    [InlineData("abs(", ")", "amount) > 1")]
    public void Deep_nesting_is_rejected_without_overflowing_the_stack(string open, string close, string core)
    {
        var text = "rule a: decline if " + string.Concat(Enumerable.Repeat(open, 10_000)) + core + string.Concat(Enumerable.Repeat(close, 10_000));

        RulesCompiler.TryCompile(text, RulesCompileOptions.Default, out _, out var diagnostics);

        Assert.Contains(diagnostics, d => d.Code == DiagnosticCodes.TooDeep && d.Line == 1);
    }

    [Fact]
    public void Long_operator_chains_are_rejected_without_overflowing_the_stack()
    {
        var text = "rule a: decline if " + string.Join(" + ", Enumerable.Repeat("1", 100_000)) + " > 0";

        RulesCompiler.TryCompile(text, RulesCompileOptions.Default, out _, out var diagnostics);

        Assert.Contains(diagnostics, d => d.Code == DiagnosticCodes.TooDeep);
    }

    [Fact]
    public void Error_flood_is_capped()
    {
        var text = string.Concat(Enumerable.Repeat("rule a: decline if $\n", 500));

        RulesCompiler.TryCompile(text, RulesCompileOptions.Default, out _, out var diagnostics);

        Assert.Equal(DiagnosticBag.MaxDiagnostics + 1, diagnostics.Count);
        Assert.Contains(diagnostics, d => d.Code == DiagnosticCodes.TooManyErrors);
    }

    [Fact]
    public void Nesting_within_the_limit_compiles()
    {
        var text = "rule a: decline if " + new string('(', 20) + "amount > 1" + new string(')', 20);

        Assert.True(RulesCompiler.TryCompile(text, RulesCompileOptions.Default, out _, out var diagnostics), string.Join("; ", diagnostics));
    }

    [Fact]
    public void Feature_names_are_bound_from_the_options_not_hard_coded()
    {
        var options = RulesCompileOptions.Default with { FeatureNames = ["custom.signal", "card.count_1m"] };
        var ruleset = RulesCompiler.Compile("rule a: decline if custom.signal > 1 and card.count_1m == 7", options);
        var context = TestInputs.NewContext();
        context.Features = [2f, 7f];
        var reasons = new List<string>();

        ruleset.Evaluate(context, reasons, null);

        Assert.Equal(["a"], reasons);
        Assert.False(RulesCompiler.TryCompile("rule a: decline if card.speed_kmh > 1", options, out _, out _));
    }
}
