using FraudStream.Ingest.Simulation;
using FraudStream.Ingest.Tests.Infrastructure;

namespace FraudStream.Ingest.Tests.Simulation;

public sealed class SimulatedLabelTests
{
    private static readonly SimulatedEvent[] Stream = SimulatedStreams.MediumStream;

    [Fact]
    public void Labels_come_after_their_transactions_in_the_stream_and_in_time()
    {
        var transactions = new Dictionary<string, SimulatedEvent>(StringComparer.Ordinal);
        var labels = 0;
        foreach (var e in Stream)
        {
            if (e.IsTransaction)
            {
                transactions.Add(e.Transaction.Id, e);
                continue;
            }

            labels++;
            Assert.True(transactions.TryGetValue(e.Label!.Id, out var tx), $"label {e.Label.Id} before its transaction");
            var delay = e.Label.ReportedAt - tx.Transaction!.Timestamp;
            Assert.InRange(delay, TimeSpan.FromHours(1), TimeSpan.FromDays(30));
        }

        Assert.True(labels > 1000);
    }

    [Fact]
    public void Every_fraud_is_labelled_and_about_thirty_percent_of_legitimate_transactions()
    {
        var labelled = Stream.Where(e => e.IsLabel).Select(e => e.Label!.Id).ToHashSet(StringComparer.Ordinal);
        var frauds = Stream.Where(e => e.IsTransaction && e.IsFraud).ToList();
        var legit = Stream.Where(e => e.IsTransaction && !e.IsFraud).ToList();

        Assert.All(frauds, e => Assert.Contains(e.Transaction!.Id, labelled));
        Assert.InRange(legit.Count(e => labelled.Contains(e.Transaction!.Id)) / (double)legit.Count, 0.28, 0.32);
        Assert.Equal(labelled.Count, Stream.Count(e => e.IsLabel));
    }

    [Fact]
    public void Fraud_labels_mostly_arrive_within_days_not_hours_or_months()
    {
        var fraudTimes = Stream.Where(e => e.IsTransaction && e.IsFraud).ToDictionary(e => e.Transaction!.Id, e => e.Time, StringComparer.Ordinal);
        var delays = Stream.Where(e => e.IsLabel && fraudTimes.ContainsKey(e.Label!.Id))
            .Select(e => (e.Label!.ReportedAt - fraudTimes[e.Label.Id]).TotalDays)
            .Order()
            .ToList();

        var median = delays[delays.Count / 2];
        Assert.InRange(median, 1.5, 6);
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.08)]
    public void Label_noise_flips_about_the_configured_share_of_labels(double noise)
    {
        var options = new SimulatorOptions { Seed = 11, Cards = 500, Merchants = 100, LabelNoise = noise };
        var events = new TransactionSimulator(options).Generate(40_000).ToList();
        var truth = events.Where(e => e.IsTransaction).ToDictionary(e => e.Transaction!.Id, e => e.IsFraud, StringComparer.Ordinal);
        var labels = events.Where(e => e.IsLabel).Select(e => e.Label!).ToList();
        var flipped = labels.Count(l => l.Fraud != truth[l.Id]);

        var rate = flipped / (double)labels.Count;
        Assert.InRange(rate, noise * 0.6, noise * 1.4);
    }

    [Fact]
    public void Without_pending_labels_at_the_end_the_stream_stops_at_its_last_transaction()
    {
        var options = new SimulatorOptions { Seed = 3, Cards = 200, Merchants = 40, EmitPendingLabelsAtEnd = false };
        var events = new TransactionSimulator(options).Generate(3_000).ToList();

        Assert.True(events[^1].IsTransaction);
        Assert.Equal(3_000, events.Count(e => e.IsTransaction));
        Assert.Contains(events, e => e.IsLabel);
    }

    [Fact]
    public void No_fraud_rate_gives_no_fraud()
    {
        var options = new SimulatorOptions { Seed = 3, Cards = 200, Merchants = 40, FraudRate = 0, LabelNoise = 0 };
        var events = new TransactionSimulator(options).Generate(5_000).ToList();

        Assert.DoesNotContain(events, e => e.IsFraud);
        Assert.DoesNotContain(events, e => e.IsLabel && e.Label!.Fraud);
    }
}
