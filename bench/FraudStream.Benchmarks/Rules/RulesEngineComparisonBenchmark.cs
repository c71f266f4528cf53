using System.Text.Json;
using BenchmarkDotNet.Attributes;
using FraudStream.Core.Contracts;
using FraudStream.Features.Schema;
using FraudStream.Rules.Compilation;
using FraudStream.Rules.Runtime;
using RulesEngine.Models;

namespace FraudStream.Benchmarks.Rules;

/// <summary>
/// Fifty realistic rules against one transaction's features: FraudStream's compiled ruleset versus
/// Microsoft RulesEngine 6.0.1 evaluating the same rules from its JSON workflow form.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class RulesEngineComparisonBenchmark
{
    private const string WorkflowName = "fraud";

    private Ruleset _ruleset = null!;
    private RuleContext _context = null!;
    private readonly List<string> _reasons = new(64);
    private readonly RuleHitCounters _hits = new();
    private global::RulesEngine.RulesEngine _engine = null!;
    private RulesEngineInput _input = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ruleset = RulesCompiler.Compile(FiftyRules.FraudStreamText());
        _context = Transaction();
        _input = RulesEngineInput.From(_context);

        var workflowJson = JsonSerializer.Serialize(new[]
        {
            new
            {
                WorkflowName,
                Rules = FiftyRules.All.Select(r => new
                {
                    RuleName = r.Name,
                    SuccessEvent = r.Action,
                    Expression = FiftyRules.ToRulesEngine(r),
                }),
            },
        });
        var workflows = JsonSerializer.Deserialize<Workflow[]>(workflowJson)!;
        _engine = new global::RulesEngine.RulesEngine(workflows, new ReSettings());

        // Both engines must agree rule by rule, or the comparison means nothing.
        _reasons.Clear();
        var hits = new RuleHitCounters();
        _ruleset.Evaluate(_context, _reasons, hits);
        var results = _engine.ExecuteAllRulesAsync(WorkflowName, _input).AsTask().GetAwaiter().GetResult();
        foreach (var result in results)
        {
            if (!string.IsNullOrEmpty(result.ExceptionMessage))
            {
                throw new InvalidOperationException($"RulesEngine rule {result.Rule.RuleName}: {result.ExceptionMessage}");
            }

            if (result.IsSuccess != (hits.HitsOf(result.Rule.RuleName) == 1))
            {
                throw new InvalidOperationException($"engines disagree on {result.Rule.RuleName}");
            }
        }

        Console.WriteLine($"// {_ruleset.Rules.Count} rules; matching: {string.Join(", ", results.Where(r => r.IsSuccess).Select(r => r.Rule.RuleName))}");
    }

    [Benchmark(Baseline = true, Description = "FraudStream compiled ruleset")]
    public DecisionKind FraudStream()
    {
        _reasons.Clear();
        return _ruleset.Evaluate(_context, _reasons, _hits);
    }

    [Benchmark(Description = "Microsoft RulesEngine 6.0.1 ExecuteAllRulesAsync")]
    public async Task<int> MicrosoftRulesEngine()
    {
        var results = await _engine.ExecuteAllRulesAsync(WorkflowName, _input);
        var matched = 0;
        foreach (var result in results)
        {
            if (result.IsSuccess)
            {
                matched++;
            }
        }

        return matched;
    }

    /// <summary>An ordinary e-commerce purchase on a busy card: a few rules match, most do not.</summary>
    private static RuleContext Transaction()
    {
        var features = new float[FeatureSchema.Count];
        void Set(string name, float value) => features[FeatureSchema.IndexOf(name)] = value;
        Set("tx.amount", 120.5f);
        Set("tx.log_amount", 4.79f);
        Set("tx.hour", 14);
        Set("tx.channel", 2);
        Set("card.count_1m", 2);
        Set("card.count_1h", 22);
        Set("card.count_24h", 31);
        Set("card.amount_sum_1m", 160);
        Set("card.amount_sum_1h", 900);
        Set("card.amount_sum_24h", 2400);
        Set("card.seconds_since_prev", 45);
        Set("card.amount_mean", 64);
        Set("card.amount_zscore", 1.3f);
        Set("card.amount_vs_category", 1.8f);
        Set("card.distinct_merchants_10m", 2);
        Set("card.distinct_merchants_24h", 9);
        Set("card.first_time_merchant", 1);
        Set("card.first_time_device", 0);
        Set("card.country_change", 0);
        Set("card.distance_home_km", 12);
        Set("card.speed_kmh", 40);
        Set("card.hour_deviation", 0.6f);
        Set("card.history_count", 140);
        Set("merchant.fraud_rate", 0.08f);
        Set("merchant.degree_24h", 640);
        Set("merchant.compromise_share", 0.02f);
        Set("card.exposure", 0.1f);
        Set("device.distinct_cards_24h", 1);
        return new RuleContext
        {
            Transaction = new Transaction
            {
                Id = "tx-bench-1",
                Timestamp = new DateTime(2025, 3, 14, 14, 7, 0, DateTimeKind.Utc),
                Card = "card-42",
                Merchant = "m-12",
                Category = "es_travel",
                Amount = 120.5m,
                Currency = "EUR",
                Country = "ES",
                Latitude = 40.4,
                Longitude = -3.7,
                Device = "dev-9",
                Channel = PaymentChannel.Ecom,
            },
            Features = features,
            Score = 0.62f,
            ReviewThreshold = 0.5f,
            DeclineThreshold = 0.9f,
        };
    }
}
