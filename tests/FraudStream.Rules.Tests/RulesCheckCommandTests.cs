using FraudStream.Rules.Compilation;
using FraudStream.Rules.Tooling;
using FraudStream.Testing;

namespace FraudStream.Rules.Tests;

public sealed class RulesCheckCommandTests
{
    [Fact]
    public void Valid_file_exits_zero_and_says_ok()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("ok.rules", "rule a: review if amount > 5\nshadow rule b: decline if false\n");
        using var output = new StringWriter();

        var exit = RulesCheckCommand.Run(path, output);

        Assert.Equal(0, exit);
        Assert.Contains("ok: 2 rule(s) (1 shadow)", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_file_exits_one_and_prints_path_line_column_code_and_message()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("bad.rules", "rule a: review if amount > 5\nrule b: decline if amout > 5\n");
        using var output = new StringWriter();

        var exit = RulesCheckCommand.Run(path, output);

        Assert.Equal(1, exit);
        var first = output.ToString().Split('\n')[0];
        Assert.Equal($"{path}:2:20: unknown_name: unknown name 'amout'; did you mean 'amount'?", first);
    }

    [Fact]
    public void Missing_file_exits_one_with_an_io_error()
    {
        using var output = new StringWriter();

        var exit = RulesCheckCommand.Run("/nonexistent/dir/x.rules", output);

        Assert.Equal(1, exit);
        Assert.Contains(": io_error: ", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void List_files_resolve_beside_the_rules_file()
    {
        using var dir = new TempDirectory();
        dir.Write("lists/vip.txt", "card-1\n");
        var path = dir.Write("with-list.rules", "list vip = file(\"lists/vip.txt\")\nrule vip: approve if card in @vip\n");
        using var output = new StringWriter();

        Assert.Equal(0, RulesCheckCommand.Run(path, output));
        Assert.Contains("1 list file(s)", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Default_rules_pass_the_check()
    {
        var path = Path.Combine(RepositoryPaths.Root(), "data/rules/default.rules");
        using var output = new StringWriter();

        var exit = RulesCheckCommand.Run(path, output);

        Assert.True(exit == 0, output.ToString());
        var ruleset = RulesCompiler.Compile(File.ReadAllText(path), RulesCompileOptions.Default with { BaseDirectory = Path.GetDirectoryName(path) });
        Assert.All(ruleset.Rules, r => Assert.Contains("#", ruleset.Text.Split('\n')[r.Line - 2], StringComparison.Ordinal));
    }
}
