using FraudStream.Core.Contracts;
using FraudStream.Ingest.Simulation;

namespace FraudStream.Unit.Tests.Simulation;

public sealed class TransactionSimulatorTests
{
    private static List<SimulatedEvent> Generate(int seed, int count, bool flush = false) =>
        new TransactionSimulator(new SimulatorOptions { Seed = seed, Cards = 800, Merchants = 300, FlushPendingLabels = flush })
            .Generate(count).ToList();

    private static string Fingerprint(IEnumerable<SimulatedEvent> events) => string.Join('\n', events.Select(e => e.Transaction is { } tx
        ? System.Text.Encoding.UTF8.GetString(TransactionJson.Serialize(tx)) + e.IsFraud
        : System.Text.Encoding.UTF8.GetString(LabelJson.Serialize(e.Label!))));

    [Fact]
    public void The_same_seed_gives_the_same_stream_and_another_seed_another()
    {
        Assert.Equal(Fingerprint(Generate(11, 5000)), Fingerprint(Generate(11, 5000)));
        Assert.NotEqual(Fingerprint(Generate(11, 5000)), Fingerprint(Generate(12, 5000)));
    }

    [Fact]
    public void It_yields_exactly_the_requested_transactions_in_time_order_with_unique_ids()
    {
        var events = Generate(3, 20_000);
        var txs = events.Where(e => e.Transaction is not null).Select(e => e.Transaction!).ToList();
        Assert.Equal(20_000, txs.Count);
        Assert.Equal(txs.Count, txs.Select(t => t.Id).Distinct().Count());
        for (var i = 1; i < events.Count; i++)
        {
            Assert.True(events[i].Time >= events[i - 1].Time, $"event {i} goes back in time");
        }
    }

    [Fact]
    public void Every_simulated_transaction_satisfies_the_contract()
    {
        foreach (var e in Generate(5, 10_000).Where(e => e.Transaction is not null))
        {
            var parsed = new Transaction();
            Assert.True(TransactionJson.TryParse(TransactionJson.Serialize(e.Transaction!), parsed, out var error), error.ToString());
            Assert.Equal(e.Transaction!.Amount, parsed.Amount);
            Assert.Equal(e.Transaction.Card, parsed.Card);
        }
    }

    [Fact]
    public void Every_fraud_scenario_appears_with_its_signature_and_fraud_is_one_to_three_percent()
    {
        var txs = Generate(7, 60_000).Where(e => e.Transaction is not null).ToList();
        var rate = txs.Count(e => e.IsFraud) / (double)txs.Count;
        Assert.InRange(rate, 0.005, 0.03);
        var byScenario = txs.Where(e => e.IsFraud).GroupBy(e => e.Scenario!).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(4, byScenario.Count);
        Assert.All(byScenario[FraudScenarios.CardTesting], e =>
        {
            Assert.True(e.Transaction!.Amount < 5m);
            Assert.Equal(PaymentChannel.Ecom, e.Transaction.Channel);
            Assert.StartsWith("dev-fraud-", e.Transaction.Device, StringComparison.Ordinal);
        });
        Assert.All(byScenario[FraudScenarios.AccountTakeover], e => Assert.True(e.Transaction!.Amount >= 300m));
        Assert.All(byScenario[FraudScenarios.StolenCardSpree], e => Assert.NotEqual(PaymentChannel.Ecom, e.Transaction!.Channel));
        Assert.All(txs.Where(e => !e.IsFraud), e => Assert.Null(e.Scenario));
    }

    [Fact]
    public void Labels_come_after_their_transactions_and_carry_about_the_configured_noise()
    {
        var events = Generate(9, 60_000, flush: true);
        var txTime = events.Where(e => e.Transaction is not null).ToDictionary(e => e.Transaction!.Id, e => (e.Transaction!.Timestamp, e.IsFraud));
        var labels = events.Where(e => e.Label is not null).Select(e => e.Label!).ToList();
        Assert.NotEmpty(labels);
        var wrong = 0;
        foreach (var label in labels)
        {
            var (ts, fraud) = txTime[label.Id];
            Assert.True(label.ReportedAt >= ts.AddMinutes(59), $"label of {label.Id} precedes its transaction");
            wrong += label.Fraud != fraud ? 1 : 0;
        }

        Assert.InRange(wrong / (double)labels.Count, 0.002, 0.03);
        // Every fraud gets a label; only a share of legitimate transactions do.
        Assert.Equal(txTime.Count(kv => kv.Value.IsFraud), labels.Count(l => txTime[l.Id].IsFraud));
    }
}
