using System.Security.Cryptography;
using FraudStream.Core.Contracts;
using FraudStream.Features.Schema;

namespace FraudStream.Features.Tests;

/// <summary>
/// A seeded stream of 110 days that exercises the day rings: cards active daily, every few days, once a week (the
/// weekday share), in bursts with idle gaps of 28–40 days (the ring rolls over whole, or the card expires), one long
/// gap of 70 days, busy days of 20+ transactions, amounts from a cent to hundreds of thousands (float sums whose order
/// matters), transactions whose terminal clock is up to two days behind (folded in at the card's time, across day
/// boundaries), and labels reported half a day to ten days later.
/// </summary>
internal static class LongScript
{
    public const int Days = 110;

    /// <summary>Cards idle for 35 days expire: some gaps of the burst cards are kept (ring rollover), others not.</summary>
    public static FeatureOptions Options() => new()
    {
        CardIdleTtl = TimeSpan.FromDays(35),
        GraphIdleTtl = TimeSpan.FromDays(35),
        LabelIndexCapacity = 1 << 14,
    };

    public static List<ScriptStep> Build(int seed, int cards = 36, int merchants = 12, int partitions = 1)
    {
        var random = new Random(seed);
        var start = Scripted.T0.Date;
        var quietUntil = new int[cards]; // burst cards: the day their idle gap ends
        var steps = new List<ScriptStep>();
        var today = new List<(DateTime At, int Card)>();
        for (var day = 0; day < Days; day++)
        {
            today.Clear();
            for (var card = 0; card < cards; card++)
            {
                var count = CountOn(random, card, day, quietUntil);
                for (var n = 0; n < count; n++)
                {
                    today.Add((start.AddDays(day).AddSeconds(random.Next(86_400)), card));
                }
            }

            today.Sort((a, b) => a.At.CompareTo(b.At));
            foreach (var (at, card) in today)
            {
                var skewed = random.Next(30) == 0 ? at - TimeSpan.FromMinutes(random.Next(1, 2 * 24 * 60)) : at;
                var id = $"t{steps.Count}";
                var tx = new Transaction
                {
                    Id = id,
                    Timestamp = skewed,
                    Card = $"card{card}",
                    Merchant = $"m{random.Next(merchants)}",
                    Category = "grocery",
                    Amount = Amount(random),
                    Currency = "EUR",
                    Country = "DE",
                    Device = random.Next(3) == 0 ? $"d{card}" : null,
                    Latitude = double.NaN,
                    Longitude = double.NaN,
                    Channel = PaymentChannel.Pos,
                };
                var label = random.Next(10) == 0
                    ? new Label(id, random.Next(3) != 0, at + TimeSpan.FromHours(12 + random.Next(240)))
                    : null;
                steps.Add(new ScriptStep(tx, card % partitions, label));
            }
        }

        return steps;
    }

    private static int CountOn(Random random, int card, int day, int[] quietUntil)
    {
        switch (card % 6)
        {
            case 0: // daily
                return random.Next(1, 5);
            case 1: // every two or three days
                return day % (2 + (card % 2)) == 0 ? random.Next(1, 3) : 0;
            case 2: // one weekday, sometimes another
                return day % 7 == card % 7 ? random.Next(1, 4) : random.Next(9) == 0 ? 1 : 0;
            case 3: // bursts of five days, then idle for 28 to 40
                if (day < quietUntil[card])
                {
                    return 0;
                }

                if (random.Next(5) == 0)
                {
                    quietUntil[card] = day + random.Next(28, 41);
                }

                return random.Next(1, 4);
            case 4: // now and then, some days very busy
                return random.Next(10) < 3 ? (random.Next(8) == 0 ? random.Next(20, 40) : 1) : 0;
            default: // daily, with 70 quiet days in the middle
                return day is >= 20 and < 90 ? 0 : random.Next(1, 3);
        }
    }

    private static decimal Amount(Random random) => random.Next(20) switch
    {
        0 => 0.01m,
        1 => Math.Round((decimal)(100_000 + (random.NextDouble() * 400_000)), 2),
        _ => Math.Round((decimal)(1 + (random.NextDouble() * 400)), 2),
    };

    /// <summary>SHA-256 over every feature's bits of every row, in order (NaN payloads included).</summary>
    public static string Digest(IEnumerable<float[]> rows)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> bits = stackalloc byte[4];
        foreach (var row in rows)
        {
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bits, BitConverter.SingleToInt32Bits(row[f]));
                hash.AppendData(bits);
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
