using System.Globalization;
using FraudStream.Core.Contracts;
using FraudStream.Features.Schema;
using FraudStream.Rules.Compilation;
using FraudStream.Rules.Runtime;

namespace FraudStream.Rules.Tests;

/// <summary>Builds rule contexts from the <c>name=value; …</c> notation of the case files.</summary>
internal static class TestInputs
{
    public static RuleContext NewContext()
    {
        var features = new float[FeatureSchema.Count];
        Array.Fill(features, float.NaN);
        return new RuleContext
        {
            Transaction = new Transaction
            {
                Id = "t-1",
                Timestamp = new DateTime(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc),
                Card = "card-1",
                Merchant = "merchant-1",
                Category = "es_food",
                Amount = 10m,
                Currency = "EUR",
                Country = "ES",
            },
            Features = features,
            Score = float.NaN,
            ReviewThreshold = 0.5f,
            DeclineThreshold = 0.9f,
        };
    }

    public static RuleContext Parse(string inputs)
    {
        var context = NewContext();
        foreach (var pair in inputs.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            Set(context, pair[..eq].Trim(), pair[(eq + 1)..].Trim());
        }

        return context;
    }

    public static void Set(RuleContext context, string name, string raw)
    {
        var missing = raw == "missing";
        var text = raw.Length >= 2 && raw[0] == '"' && raw[^1] == '"' ? raw[1..^1] : raw;
        double Number() => missing ? double.NaN : double.Parse(text, CultureInfo.InvariantCulture);
        var tx = context.Transaction;
        switch (name)
        {
            case "id": tx.Id = text; break;
            case "card": tx.Card = text; break;
            case "merchant": tx.Merchant = text; break;
            case "category": tx.Category = text; break;
            case "currency": tx.Currency = text; break;
            case "country": tx.Country = text; break;
            case "device": tx.Device = missing ? null : text; break;
            case "amount": tx.Amount = decimal.Parse(text, CultureInfo.InvariantCulture); break;
            case "lat": tx.Latitude = Number(); break;
            case "lon": tx.Longitude = Number(); break;
            case "ts": tx.Timestamp = DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal); break;
            case "channel":
                tx.Channel = text switch
                {
                    "pos" => PaymentChannel.Pos,
                    "ecom" => PaymentChannel.Ecom,
                    "atm" => PaymentChannel.Atm,
                    _ => PaymentChannel.Unknown,
                };
                break;
            case "score": context.Score = (float)Number(); break;
            case "model.review_threshold": context.ReviewThreshold = (float)Number(); break;
            case "model.decline_threshold": context.DeclineThreshold = (float)Number(); break;
            default:
                var index = FeatureSchema.IndexOf(name);
                Assert.True(index >= 0, $"unknown input name '{name}'");
                context.Features[index] = (float)Number();
                break;
        }
    }

    /// <summary>Compiles one expression as the condition of a single rule.</summary>
    public static Ruleset CompileCondition(string expression) =>
        RulesCompiler.Compile($"rule probe: decline if {expression}");

    public static IEnumerable<string[]> ReadCases(string file, int minFields)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", file);
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split('|').Select(f => f.Trim()).ToArray();
            Assert.True(fields.Length >= minFields, $"{file}:{number} has {fields.Length} fields");
            yield return fields;
        }
    }
}
