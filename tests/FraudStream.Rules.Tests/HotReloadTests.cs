using FraudStream.Core.Contracts;
using FraudStream.Rules.Compilation;
using FraudStream.Rules.Runtime;
using FraudStream.Testing;

namespace FraudStream.Rules.Tests;

public sealed class HotReloadTests
{
    private static string RulesNamed(string prefix, string action, int count) =>
        string.Join('\n', Enumerable.Range(1, count).Select(i => $"rule {prefix}{i}: {action} if amount > 0"));

    [Fact]
    public void No_transaction_sees_half_a_ruleset_while_versions_swap_under_load()
    {
        var a = RulesNamed("a", "review", 20);
        var b = RulesNamed("b", "decline", 20);
        using var provider = RulesetProvider.FromText(a);
        var failures = 0;
        var evaluations = 0;
        using var stop = new CancellationTokenSource();

        void Worker()
        {
            var context = TestInputs.NewContext();
            var reasons = new List<string>(32);
            var hits = new RuleHitCounters();
            while (!stop.IsCancellationRequested)
            {
                reasons.Clear();
                var ruleset = provider.Current;
                var decision = ruleset.Evaluate(context, reasons, hits);
                var prefix = decision == DecisionKind.Review ? 'a' : 'b';
                if (reasons.Count != 20 || reasons.Any(r => r[0] != prefix) || ruleset.Rules[0].Name[0] != prefix)
                {
                    Interlocked.Increment(ref failures);
                }

                Interlocked.Increment(ref evaluations);
            }
        }

        var workers = new[] { new Thread(Worker), new Thread(Worker) };
        foreach (var w in workers)
        {
            w.Start();
        }

        var versions = new HashSet<string>();
        for (var i = 0; i < 200; i++)
        {
            Assert.True(provider.TryUpdate(i % 2 == 0 ? b : a, out _));
            versions.Add(provider.Current.Version);
        }

        stop.Cancel();
        foreach (var w in workers)
        {
            w.Join();
        }

        Assert.Equal(0, failures);
        Assert.True(evaluations > 0);
        Assert.Equal(2, versions.Count);
    }

    [Fact]
    public void Invalid_update_is_rejected_and_the_old_rules_keep_running()
    {
        using var provider = RulesetProvider.FromText("rule a: review if amount > 5");
        var before = provider.Current;
        RulesetReloadedEventArgs? seen = null;
        provider.Reloaded += (_, e) => seen = e;

        var ok = provider.TryUpdate("rule a: review if amout > 5", out var diagnostics);

        Assert.False(ok);
        Assert.Same(before, provider.Current);
        Assert.Equal(DiagnosticCodes.UnknownName, Assert.Single(diagnostics).Code);
        Assert.NotNull(provider.LastReloadErrors);
        Assert.Equal(diagnostics, provider.LastReloadErrors!.Diagnostics);
        Assert.False(seen!.Succeeded);
        Assert.Equal(before.Version, seen.CurrentVersion);

        Assert.True(provider.TryUpdate("rule a: review if amount > 6", out _));
        Assert.Null(provider.LastReloadErrors);
        Assert.NotEqual(before.Version, provider.Current.Version);
    }

    [Fact]
    public void Same_text_again_does_not_swap_or_raise_an_event()
    {
        using var provider = RulesetProvider.FromText("rule a: review if amount > 5");
        var before = provider.Current;
        var events = 0;
        provider.Reloaded += (_, _) => events++;

        Assert.True(provider.TryUpdate("rule a: review if amount > 5", out _));

        Assert.Same(before, provider.Current);
        Assert.Equal(0, events);
    }

    [Fact]
    public void File_provider_reloads_explicitly_and_rejects_a_broken_file()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("main.rules", "rule a: review if amount > 5\n");
        using var provider = RulesetProvider.FromFile(path, pollInterval: TimeSpan.Zero);
        var first = provider.Current.Version;

        File.WriteAllText(path, "rule a: review if amount > 50\n");
        Assert.True(provider.Reload());
        var second = provider.Current.Version;
        File.WriteAllText(path, "rule a: review if amount >\n");
        Assert.False(provider.Reload());

        Assert.NotEqual(first, second);
        Assert.Equal(second, provider.Current.Version);
        Assert.Equal(DiagnosticCodes.Syntax, Assert.Single(provider.LastReloadErrors!.Diagnostics).Code);
    }

    [Fact]
    public void Initial_invalid_file_fails_fast()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("main.rules", "rule a: review if\n");

        var ex = Assert.Throws<RulesCompileException>(() => RulesetProvider.FromFile(path));

        Assert.Equal(DiagnosticCodes.Syntax, ex.Diagnostics[0].Code);
    }

    [Fact]
    public void Change_to_the_file_is_picked_up_by_polling_without_a_call()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("main.rules", "rule a: review if amount > 5\n");
        using var provider = RulesetProvider.FromFile(path, pollInterval: TimeSpan.FromMilliseconds(50));
        using var reloaded = new ManualResetEventSlim();
        provider.Reloaded += (_, e) =>
        {
            if (e.Succeeded)
            {
                reloaded.Set();
            }
        };

        File.WriteAllText(path, "rule a: review if amount > 5000\nrule b: decline if amount > 9000\n");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));

        Assert.True(reloaded.Wait(TimeSpan.FromSeconds(30)), "the change was never noticed");
        Assert.Equal(2, provider.Current.Rules.Count);
    }

    [Fact]
    public void Change_to_a_list_file_reloads_the_rules()
    {
        using var dir = new TempDirectory();
        dir.Write("lists/vip.txt", "card-9\n");
        var path = dir.Write("main.rules", "list vip = file(\"lists/vip.txt\")\nrule vip: approve if card in @vip\n");
        using var provider = RulesetProvider.FromFile(path, pollInterval: TimeSpan.FromMilliseconds(50));
        using var reloaded = new ManualResetEventSlim();
        provider.Reloaded += (_, e) =>
        {
            if (e.Succeeded)
            {
                reloaded.Set();
            }
        };

        var list = Path.Combine(dir.Path, "lists/vip.txt");
        File.WriteAllText(list, "card-9\ncard-1\n");
        File.SetLastWriteTimeUtc(list, DateTime.UtcNow.AddSeconds(5));

        Assert.True(reloaded.Wait(TimeSpan.FromSeconds(30)), "the list change was never noticed");
        var reasons = new List<string>();
        Assert.Equal(DecisionKind.Approve, provider.Current.Evaluate(TestInputs.NewContext(), reasons, null));
        Assert.Equal(["vip"], reasons);
    }
}
