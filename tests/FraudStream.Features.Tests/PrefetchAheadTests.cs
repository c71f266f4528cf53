using FraudStream.Core.Contracts;
using FraudStream.Features.Schema;

namespace FraudStream.Features.Tests;

/// <summary>PrefetchAhead is a hint: a stream processed with it gives bit-for-bit the features it gives without.</summary>
public sealed class PrefetchAheadTests
{
    [Fact]
    public void Announcing_transactions_ahead_changes_no_feature_value()
    {
        var stream = Stream(4_000);
        var plain = new Scripted();
        var announced = new Scripted();
        var random = new Random(3);
        var expected = new float[FeatureSchema.Count];
        var actual = new float[FeatureSchema.Count];

        for (var i = 0; i < stream.Length; i++)
        {
            // Announce as the pipeline worker does (three ahead), plus some that are never processed in that
            // order: a different transaction, a card-less one, none at all.
            switch (random.Next(5))
            {
                case 0:
                    break;
                case 1:
                    announced.Engine.PrefetchAhead(stream[random.Next(stream.Length)]);
                    break;
                case 2:
                    announced.Engine.PrefetchAhead(new Transaction { Id = "x", Card = null!, Merchant = "m0" });
                    break;
                default:
                    announced.Engine.PrefetchAhead(stream[Math.Min(i + 3, stream.Length - 1)]);
                    break;
            }

            plain.Engine.Process(stream[i], expected);
            announced.Engine.Process(stream[i], actual);
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[f]) == BitConverter.SingleToInt32Bits(actual[f]),
                    $"transaction {i}, feature {FeatureSchema.Names[f]}: {expected[f]} without the hint, {actual[f]} with it");
            }

            if (i % 97 == 0)
            {
                var label = new Label(stream[i / 2].Id, true, stream[i].Timestamp);
                plain.Graph.ApplyLabel(label);
                announced.Graph.ApplyLabel(label);
            }
        }

        Assert.Equal(plain.Engine.CardCount, announced.Engine.CardCount);
    }

    private static Transaction[] Stream(int count)
    {
        var random = new Random(11);
        var stream = new Transaction[count];
        for (var i = 0; i < count; i++)
        {
            stream[i] = Scripted.Tx(
                Scripted.S(i * 7.5),
                card: $"card{random.Next(300)}",
                amount: (decimal)Math.Round(1 + (random.NextDouble() * 300), 2),
                merchant: $"m{random.Next(40)}",
                category: random.Next(3) == 0 ? "travel" : "grocery",
                country: random.Next(10) == 0 ? "FR" : "DE",
                device: random.Next(2) == 0 ? $"d{random.Next(100)}" : null,
                lat: random.Next(2) == 0 ? 48 + random.NextDouble() : double.NaN,
                lon: 11 + random.NextDouble(),
                id: $"t{i}");
        }

        return stream;
    }
}
