using FraudStream.Core.Contracts;
using FraudStream.Ingest.Simulation;
using FraudStream.Ingest.Tests.Infrastructure;

namespace FraudStream.Ingest.Tests.Simulation;

public sealed class FraudScenarioTests
{
    private static readonly SimulatedEvent[] Stream = SimulatedStreams.MediumStream;
    private static readonly TransactionSimulator Simulator = SimulatedStreams.MediumSimulator;

    private static List<Transaction> OfScenario(string scenario) =>
        Stream.Where(e => e.IsTransaction && e.Scenario == scenario).Select(e => e.Transaction!).ToList();

    /// <summary>Consecutive transactions of one scenario on one card, split where they are more than a day apart.</summary>
    private static List<List<Transaction>> Episodes(string scenario)
    {
        var episodes = new List<List<Transaction>>();
        foreach (var group in OfScenario(scenario).GroupBy(tx => tx.Card, StringComparer.Ordinal))
        {
            List<Transaction>? current = null;
            foreach (var tx in group)
            {
                if (current is null || tx.Timestamp - current[^1].Timestamp > TimeSpan.FromDays(1))
                {
                    current = [];
                    episodes.Add(current);
                }

                current.Add(tx);
            }
        }

        return episodes;
    }

    private static double DistanceFromHomeKm(Transaction tx)
    {
        Assert.True(Simulator.TryGetCardHome(tx.Card, out var lat, out var lon, out _));
        const double EarthRadiusKm = 6371.0;
        var dLat = double.DegreesToRadians(tx.Latitude - lat);
        var dLon = double.DegreesToRadians(tx.Longitude - lon);
        var a = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2))
            + (Math.Cos(double.DegreesToRadians(lat)) * Math.Cos(double.DegreesToRadians(tx.Latitude)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1.0, Math.Sqrt(a)));
    }

    [Fact]
    public void Every_scenario_appears_and_only_frauds_carry_a_scenario()
    {
        foreach (var scenario in FraudScenarios.All)
        {
            Assert.True(OfScenario(scenario).Count >= 20, $"{scenario}: {OfScenario(scenario).Count}");
        }

        Assert.All(Stream.Where(e => e.IsTransaction), e => Assert.Equal(e.IsFraud, e.Scenario is not null));
    }

    [Fact]
    public void Fraud_makes_up_one_to_two_percent_of_transactions()
    {
        var transactions = Stream.Count(e => e.IsTransaction);
        var frauds = Stream.Count(e => e.IsTransaction && e.IsFraud);

        Assert.InRange(frauds / (double)transactions, 0.01, 0.02);
    }

    [Fact]
    public void Card_testing_is_bursts_of_tiny_online_payments_at_several_new_merchants()
    {
        var seenMerchants = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        int atNewMerchant = 0, total = 0;
        foreach (var e in Stream.Where(e => e.IsTransaction))
        {
            var tx = e.Transaction!;
            if (e.Scenario == FraudScenarios.CardTesting)
            {
                Assert.True(tx.Amount < 5m, $"{tx.Id}: {tx.Amount}");
                Assert.Equal(PaymentChannel.Ecom, tx.Channel);
                total++;
                if (!seenMerchants.TryGetValue(tx.Card, out var seen) || !seen.Contains(tx.Merchant))
                {
                    atNewMerchant++;
                }
            }
            else if (!e.IsFraud)
            {
                if (!seenMerchants.TryGetValue(tx.Card, out var seen))
                {
                    seenMerchants[tx.Card] = seen = new HashSet<string>(StringComparer.Ordinal);
                }

                seen.Add(tx.Merchant);
            }
        }

        Assert.True(atNewMerchant >= 0.9 * total, $"{atNewMerchant} of {total} at merchants new to the card");
        var episodes = Episodes(FraudScenarios.CardTesting);
        Assert.All(episodes, burst =>
        {
            Assert.InRange(burst.Count, 5, 20);
            Assert.True(burst[^1].Timestamp - burst[0].Timestamp <= TimeSpan.FromMinutes(30));
        });
        Assert.True(episodes.Count(b => b.Select(tx => tx.Merchant).Distinct().Count() >= 2) >= 0.9 * episodes.Count);
    }

    [Fact]
    public void Account_takeover_is_a_few_large_online_payments_from_a_new_device_abroad()
    {
        var devicesByCard = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var legitOnlineAmounts = new List<decimal>();
        var takeovers = new List<Transaction>();
        foreach (var e in Stream.Where(e => e.IsTransaction))
        {
            var tx = e.Transaction!;
            if (e.Scenario == FraudScenarios.AccountTakeover)
            {
                Assert.Equal(PaymentChannel.Ecom, tx.Channel);
                Assert.True(!devicesByCard.TryGetValue(tx.Card, out var known) || !known.Contains(tx.Device!), $"{tx.Id} reuses a card's device");
                Assert.True(Simulator.TryGetCardHome(tx.Card, out _, out _, out var home));
                Assert.NotEqual(home, tx.Country);
                Assert.True(DistanceFromHomeKm(tx) > 300, tx.Id);
                takeovers.Add(tx);
            }
            else if (!e.IsFraud && tx.Channel == PaymentChannel.Ecom)
            {
                if (!devicesByCard.TryGetValue(tx.Card, out var known))
                {
                    devicesByCard[tx.Card] = known = new HashSet<string>(StringComparer.Ordinal);
                }

                known.Add(tx.Device!);
                legitOnlineAmounts.Add(tx.Amount);
            }
        }

        Assert.True(takeovers.Average(tx => tx.Amount) > 3 * legitOnlineAmounts.Average(), "takeover amounts are not high");
        Assert.All(Episodes(FraudScenarios.AccountTakeover), episode => Assert.InRange(episode.Count, 2, 5));
    }

    [Fact]
    public void Stolen_card_spree_is_quick_in_store_spending_far_from_home_with_rising_amounts()
    {
        var episodes = Episodes(FraudScenarios.StolenCardSpree);
        Assert.NotEmpty(episodes);
        foreach (var spree in episodes)
        {
            Assert.InRange(spree.Count, 5, 15);
            Assert.All(spree, tx => Assert.True(tx.Channel is PaymentChannel.Pos or PaymentChannel.Atm, tx.Id));
            Assert.All(spree, tx => Assert.True(DistanceFromHomeKm(tx) > 300, $"{tx.Id} is {DistanceFromHomeKm(tx):F0} km from home"));
            Assert.True(spree[^1].Amount > spree[0].Amount, $"{spree[0].Card}: {spree[0].Amount} then {spree[^1].Amount}");
            for (var i = 1; i < spree.Count; i++)
            {
                Assert.True(spree[i].Timestamp - spree[i - 1].Timestamp <= TimeSpan.FromMinutes(20));
            }
        }
    }

    [Fact]
    public void Compromised_merchant_frauds_hit_cards_that_paid_at_a_leaking_merchant_days_before()
    {
        var leaking = Simulator.CompromisedMerchantIds.ToHashSet(StringComparer.Ordinal);
        Assert.Equal(SimulatedStreams.MediumOptions.CompromisedMerchants, leaking.Count);
        var visits = new Dictionary<string, List<DateTime>>(StringComparer.Ordinal);
        foreach (var e in Stream.Where(e => e.IsTransaction))
        {
            var tx = e.Transaction!;
            if (!e.IsFraud && leaking.Contains(tx.Merchant))
            {
                if (!visits.TryGetValue(tx.Card, out var times))
                {
                    visits[tx.Card] = times = [];
                }

                times.Add(tx.Timestamp);
            }
        }

        var episodes = Episodes(FraudScenarios.CompromisedMerchant);
        Assert.NotEmpty(episodes);
        foreach (var episode in episodes)
        {
            var start = episode[0].Timestamp;
            Assert.True(visits.TryGetValue(episode[0].Card, out var times), $"{episode[0].Card} never paid at a leaking merchant");
            Assert.Contains(times, t => start - t >= TimeSpan.FromDays(2) && start - t <= TimeSpan.FromDays(14));
            Assert.All(episode, tx => Assert.DoesNotContain(tx.Merchant, leaking));
            Assert.All(episode, tx => Assert.Equal(PaymentChannel.Ecom, tx.Channel));
        }
    }
}
