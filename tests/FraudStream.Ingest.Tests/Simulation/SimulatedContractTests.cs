using System.Text.RegularExpressions;
using FraudStream.Core.Contracts;
using FraudStream.Core.Identifiers;
using FraudStream.Ingest.Simulation;
using FraudStream.Ingest.Tests.Infrastructure;

namespace FraudStream.Ingest.Tests.Simulation;

public sealed partial class SimulatedContractTests
{
    [GeneratedRegex("^card-[0-9]{6}$")]
    private static partial Regex CardId();

    [GeneratedRegex("^tx-7-[0-9]+$")]
    private static partial Regex TransactionId();

    [Fact]
    public void Every_simulated_transaction_round_trips_through_the_transactions_contract()
    {
        var parsed = new Transaction();
        foreach (var e in SimulatedStreams.MediumStream.Where(e => e.IsTransaction))
        {
            var tx = e.Transaction!;
            var ok = TransactionJson.TryParse(TransactionJson.Serialize(tx), parsed, out var error);

            Assert.True(ok, $"{tx.Id}: {error}");
            Assert.Equal(tx.Id, parsed.Id);
            Assert.Equal(tx.Timestamp, parsed.Timestamp);
            Assert.Equal(tx.Card, parsed.Card);
            Assert.Equal(tx.Merchant, parsed.Merchant);
            Assert.Equal(tx.Category, parsed.Category);
            Assert.Equal(tx.Amount, parsed.Amount);
            Assert.Equal(tx.Currency, parsed.Currency);
            Assert.Equal(tx.Country, parsed.Country);
            Assert.Equal(tx.Latitude, parsed.Latitude);
            Assert.Equal(tx.Longitude, parsed.Longitude);
            Assert.Equal(tx.Device, parsed.Device);
            Assert.Equal(tx.Channel, parsed.Channel);
        }
    }

    [Fact]
    public void Simulated_transactions_have_valid_codes_amounts_locations_and_ids()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in SimulatedStreams.MediumStream.Where(e => e.IsTransaction))
        {
            var tx = e.Transaction!;
            Assert.True(ids.Add(tx.Id), $"duplicate id {tx.Id}");
            Assert.Matches(TransactionId(), tx.Id);
            Assert.Matches(CardId(), tx.Card);
            Assert.True(IsoCodes.IsCurrency(tx.Currency), tx.Currency);
            Assert.True(IsoCodes.IsCountry(tx.Country), tx.Country);
            Assert.True(tx.Amount > 0, $"{tx.Id} amount {tx.Amount}");
            Assert.Equal(Math.Round(tx.Amount, 2), tx.Amount);
            Assert.True(tx.HasLocation, tx.Id);
            Assert.InRange(tx.Latitude, -90, 90);
            Assert.InRange(tx.Longitude, -180, 180);
            Assert.NotEqual(PaymentChannel.Unknown, tx.Channel);
            Assert.Equal(DateTimeKind.Utc, tx.Timestamp.Kind);
            Assert.Equal(tx.Channel == PaymentChannel.Ecom, tx.Device is not null);
        }

        Assert.Equal(60_000, ids.Count);
    }

    [Fact]
    public void Events_come_out_in_event_time_order()
    {
        var previous = DateTime.MinValue;
        foreach (var e in SimulatedStreams.MediumStream)
        {
            Assert.True(e.Time >= previous, $"{e.Time:O} after {previous:O}");
            Assert.Equal(e.IsTransaction ? e.Transaction!.Timestamp : e.Label!.ReportedAt, e.Time);
            previous = e.Time;
        }

        Assert.True(SimulatedStreams.MediumStream[0].Time >= SimulatedStreams.MediumOptions.StartTime);
    }

    [Fact]
    public void Cards_mostly_spend_in_one_home_country_in_its_currency()
    {
        var simulator = SimulatedStreams.MediumSimulator;
        var legit = SimulatedStreams.MediumStream.Where(e => e.IsTransaction && !e.IsFraud).Select(e => e.Transaction!).ToList();
        var atHome = legit.Count(tx => simulator.TryGetCardHome(tx.Card, out _, out _, out var country) && country == tx.Country);
        var euroAtHome = legit.Count(tx => tx.Country is "ES" or "FR" or "DE" or "IT" or "NL" && tx.Currency == "EUR");
        var inEuroCountries = legit.Count(tx => tx.Country is "ES" or "FR" or "DE" or "IT" or "NL");

        Assert.InRange(atHome / (double)legit.Count, 0.85, 0.99);
        Assert.InRange(euroAtHome / (double)inEuroCountries, 0.9, 1.0);
    }

    [Fact]
    public void Legitimate_spending_follows_the_day_not_the_night()
    {
        var simulator = SimulatedStreams.MediumSimulator;
        var spanish = SimulatedStreams.MediumStream
            .Where(e => e.IsTransaction && !e.IsFraud && simulator.TryGetCardHome(e.Transaction!.Card, out _, out _, out var c) && c == "ES")
            .Select(e => (e.Transaction!.Timestamp.Hour + 1) % 24)
            .ToList();
        var night = spanish.Count(h => h is >= 2 and < 5);
        var midday = spanish.Count(h => h is >= 11 and < 14);

        Assert.True(midday > 8 * night, $"midday {midday}, night {night}");
    }
}

public sealed class SimulatedHabitTests
{
    [Fact]
    public void Cardholders_use_one_or_two_devices_online_and_now_and_then_a_new_one()
    {
        var seen = new Dictionary<string, (int Count, HashSet<string> Devices)>(StringComparer.Ordinal);
        int late = 0, online = 0;
        foreach (var e in SimulatedStreams.MediumStream.Where(e => e.IsTransaction && !e.IsFraud && e.Transaction!.Channel == PaymentChannel.Ecom))
        {
            var tx = e.Transaction!;
            if (!seen.TryGetValue(tx.Card, out var card))
            {
                card = (0, new HashSet<string>(StringComparer.Ordinal));
            }

            online++;
            if (card.Devices.Add(tx.Device!) && card.Count >= 10)
            {
                late++;
            }

            seen[tx.Card] = (card.Count + 1, card.Devices);
        }

        Assert.InRange(late / (double)online, 0.0005, 0.02);
        Assert.True(seen.Values.Count(c => c.Devices.Count <= 2) >= 0.9 * seen.Count);
    }

    [Fact]
    public void Amounts_follow_their_category_cash_comes_in_notes()
    {
        var legit = SimulatedStreams.MediumStream.Where(e => e.IsTransaction && !e.IsFraud).Select(e => e.Transaction!).ToList();
        decimal Median(string category)
        {
            var amounts = legit.Where(tx => tx.Category == category).Select(tx => tx.Amount).Order().ToList();
            return amounts[amounts.Count / 2];
        }

        Assert.True(Median("travel") > 4 * Median("grocery"));
        Assert.True(Median("grocery") > 2 * Median("transport"));
        Assert.All(legit.Where(tx => tx.Channel == PaymentChannel.Atm), tx => Assert.Equal(0m, tx.Amount % 10m));
    }
}
