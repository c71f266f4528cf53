using System.Text;
using FraudStream.Features.Schema;
using FraudStream.Rules.Compilation;

namespace FraudStream.Rules.Tests;

/// <summary>Random and mutated inputs: the compiler must answer with diagnostics or a ruleset, never throw.</summary>
public sealed class ParserFuzzTests
{
    private const string Seed = """
        list vip = ["card-1", "card-2"]
        rule vip: approve if card in @vip
        rule card_testing: decline if card.distinct_merchants_10m >= 4 and amount < 5
        rule velocity: review if card.count_1m >= 5 and (amount > 50 or not (channel == "pos"))
        rule night: review if hour(ts) between 1 and 4 and max(amount, 1) / 2 > log(10)
        shadow rule geo: decline if card.speed_kmh > 900 or device is missing
        """;

    private static readonly string[] Fragments =
    [
        "rule", "shadow", "list", "if", "and", "or", "not", "in", "between", "is", "missing", "true", "false",
        "approve", "review", "decline", "amount", "card", "ts", "score", "card.count_1m", "@vip", "abs(", "min(",
        "hour(", "(", ")", "[", "]", ",", ":", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%",
        "\"", "'", "\\", "#", "\n", " ", "1", "0.5", "1e", ".", "@", "file(", "\"x\"", "\u00e9", "\0", "\uD800",
    ];

    [Fact]
    public void Random_token_soup_never_crashes_the_compiler()
    {
        var random = new Random(20240611);
        for (var i = 0; i < 3000; i++)
        {
            var sb = new StringBuilder();
            var length = random.Next(1, 60);
            for (var j = 0; j < length; j++)
            {
                sb.Append(Fragments[random.Next(Fragments.Length)]).Append(random.Next(3) == 0 ? "" : " ");
            }

            CompileAndRunIfValid(sb.ToString(), random);
        }
    }

    [Fact]
    public void Random_characters_never_crash_the_compiler()
    {
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var chars = new char[random.Next(0, 200)];
            for (var j = 0; j < chars.Length; j++)
            {
                chars[j] = random.Next(4) == 0 ? (char)random.Next(0, 0xFFFF) : (char)random.Next(32, 127);
            }

            CompileAndRunIfValid(new string(chars), random);
        }
    }

    [Fact]
    public void Mutations_of_a_valid_file_never_crash_the_compiler()
    {
        var random = new Random(42);
        var compiled = 0;
        for (var i = 0; i < 1500; i++)
        {
            var text = new StringBuilder(Seed);
            var mutations = random.Next(1, 4);
            for (var m = 0; m < mutations; m++)
            {
                var at = random.Next(text.Length);
                switch (random.Next(4))
                {
                    case 0:
                        text.Remove(at, Math.Min(random.Next(1, 6), text.Length - at));
                        break;
                    case 1:
                        text.Insert(at, Fragments[random.Next(Fragments.Length)]);
                        break;
                    case 2:
                        text[at] = (char)random.Next(32, 127);
                        break;
                    default:
                        var other = random.Next(text.Length);
                        (text[at], text[other]) = (text[other], text[at]);
                        break;
                }
            }

            if (CompileAndRunIfValid(text.ToString(), random))
            {
                compiled++;
            }
        }

        // Some mutations (inside comments or strings, swapped digits) still compile and must run.
        Assert.True(compiled > 0);
    }

    private static bool CompileAndRunIfValid(string text, Random random)
    {
        var ok = RulesCompiler.TryCompile(text, RulesCompileOptions.Default, out var ruleset, out var diagnostics);
        Assert.Equal(ok, diagnostics.Count == 0);
        Assert.All(diagnostics, d => Assert.True(d.Line >= 1 && d.Column >= 1 && d.Code.Length > 0 && d.Message.Length > 0));
        if (!ok)
        {
            return false;
        }

        for (var k = 0; k < 5; k++)
        {
            var context = TestInputs.NewContext();
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                context.Features[f] = random.Next(4) switch
                {
                    0 => float.NaN,
                    1 => 0,
                    2 => float.MaxValue,
                    _ => (float)(random.NextDouble() * 2000 - 1000),
                };
            }

            context.Score = random.Next(3) == 0 ? float.NaN : (float)random.NextDouble();
            context.Transaction.Device = random.Next(2) == 0 ? null : "d";
            context.Transaction.Amount = (decimal)(random.NextDouble() * 1000);
            ruleset!.Evaluate(context, [], new Runtime.RuleHitCounters());
        }

        return true;
    }
}
