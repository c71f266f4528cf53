namespace FraudStream.Ingest.Simulation;

/// <summary>The static part of the simulation: cities, categories, cards and merchants, drawn once from the seed.</summary>
internal sealed class World
{
    public sealed record City(string Name, string Country, string Currency, double Lat, double Lon);

    public sealed record Category(string Name, double LogMean, double LogSigma, double EcomShare, bool Cash);

    public sealed class Card
    {
        public required string Id { get; init; }
        public required int HomeCity { get; init; }
        public required double Lat { get; init; }
        public required double Lon { get; init; }
        public required string[] Devices { get; init; }
        public required double[] CategoryWeights { get; init; }
        public required double PeakHour { get; init; }
        public required double AmountScale { get; init; }
        public bool Exposed { get; set; }
    }

    public sealed class Merchant
    {
        public required string Id { get; init; }
        public required int Category { get; init; }
        public required int City { get; init; }
        public required double Lat { get; init; }
        public required double Lon { get; init; }
        public required bool Compromised { get; init; }
    }

    public static readonly City[] Cities =
    [
        new("Berlin", "DE", "EUR", 52.52, 13.405), new("Munich", "DE", "EUR", 48.137, 11.575), new("Hamburg", "DE", "EUR", 53.551, 9.993),
        new("Paris", "FR", "EUR", 48.857, 2.352), new("Lyon", "FR", "EUR", 45.764, 4.836), new("Madrid", "ES", "EUR", 40.417, -3.704),
        new("Barcelona", "ES", "EUR", 41.385, 2.173), new("Rome", "IT", "EUR", 41.903, 12.496), new("Milan", "IT", "EUR", 45.464, 9.19),
        new("Amsterdam", "NL", "EUR", 52.368, 4.904), new("London", "GB", "GBP", 51.507, -0.128), new("Manchester", "GB", "GBP", 53.481, -2.243),
        new("New York", "US", "USD", 40.713, -74.006), new("Chicago", "US", "USD", 41.878, -87.63), new("San Francisco", "US", "USD", 37.775, -122.419),
        new("Lagos", "NG", "NGN", 6.524, 3.379), new("Bucharest", "RO", "RON", 44.427, 26.103), new("Bangkok", "TH", "THB", 13.756, 100.502),
    ];

    /// <summary>Cities where cards live; the others only appear in fraud (far-away use).</summary>
    public const int HomeCities = 15;

    public static readonly Category[] Categories =
    [
        new("grocery", 3.3, 0.6, 0.05, false), new("restaurant", 3.4, 0.5, 0.05, false), new("fuel", 3.9, 0.35, 0.0, false),
        new("transport", 2.6, 0.7, 0.3, false), new("fashion", 4.2, 0.7, 0.4, false), new("electronics", 5.0, 0.9, 0.5, false),
        new("travel", 5.7, 0.8, 0.7, false), new("entertainment", 3.2, 0.7, 0.5, false), new("health", 3.6, 0.6, 0.1, false),
        new("online_services", 2.7, 0.8, 1.0, false), new("atm", 4.4, 0.6, 0.0, true),
    ];

    public Card[] Cards { get; }

    public Merchant[] Merchants { get; }

    /// <summary>Merchant indexes by [city][category].</summary>
    public int[][][] MerchantsByCityAndCategory { get; }

    public double[] CardActivity { get; }

    public World(SimulatorOptions options, Random rng)
    {
        Merchants = new Merchant[options.Merchants];
        var byCityCat = new List<int>[Cities.Length][];
        for (var c = 0; c < Cities.Length; c++)
        {
            byCityCat[c] = new List<int>[Categories.Length];
            for (var k = 0; k < Categories.Length; k++)
            {
                byCityCat[c][k] = [];
            }
        }

        for (var m = 0; m < Merchants.Length; m++)
        {
            // Every (city, category) gets at least one merchant when there are enough of them.
            var city = m < Cities.Length * Categories.Length ? m / Categories.Length % Cities.Length : rng.Next(Cities.Length);
            var cat = m < Cities.Length * Categories.Length ? m % Categories.Length : rng.Next(Categories.Length);
            var (lat, lon) = Jitter(rng, Cities[city].Lat, Cities[city].Lon, 0.08);
            Merchants[m] = new Merchant
            {
                Id = $"merchant-{m:D5}", Category = cat, City = city, Lat = lat, Lon = lon,
                Compromised = city < HomeCities && rng.NextDouble() < options.CompromisedMerchantShare,
            };
            byCityCat[city][cat].Add(m);
        }

        MerchantsByCityAndCategory = new int[Cities.Length][][];
        for (var c = 0; c < Cities.Length; c++)
        {
            MerchantsByCityAndCategory[c] = new int[Categories.Length][];
            for (var k = 0; k < Categories.Length; k++)
            {
                MerchantsByCityAndCategory[c][k] = [.. byCityCat[c][k]];
            }
        }

        Cards = new Card[options.Cards];
        CardActivity = new double[options.Cards];
        for (var i = 0; i < Cards.Length; i++)
        {
            var city = rng.Next(HomeCities);
            var (lat, lon) = Jitter(rng, Cities[city].Lat, Cities[city].Lon, 0.1);
            var weights = new double[Categories.Length];
            for (var k = 0; k < weights.Length; k++)
            {
                weights[k] = Math.Pow(rng.NextDouble(), 2) + (k < 3 ? 0.6 : 0.05);
            }

            var devices = new string[1 + (rng.NextDouble() < 0.35 ? 1 : 0)];
            for (var d = 0; d < devices.Length; d++)
            {
                devices[d] = $"dev-{i:D6}-{d}";
            }

            Cards[i] = new Card
            {
                Id = $"card-{i:D6}", HomeCity = city, Lat = lat, Lon = lon, Devices = devices, CategoryWeights = weights,
                PeakHour = 10 + (rng.NextDouble() * 10), AmountScale = Math.Exp(Normal(rng) * 0.35),
            };
            CardActivity[i] = Math.Exp(Normal(rng) * 0.6);
        }
    }

    public static (double Lat, double Lon) Jitter(Random rng, double lat, double lon, double degrees) =>
        (lat + ((rng.NextDouble() - 0.5) * 2 * degrees), lon + ((rng.NextDouble() - 0.5) * 2 * degrees));

    public static double Normal(Random rng)
    {
        // Box–Muller: deterministic given the generator's sequence.
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static int Pick(Random rng, double[] weights)
    {
        var total = 0.0;
        foreach (var w in weights)
        {
            total += w;
        }

        var x = rng.NextDouble() * total;
        for (var i = 0; i < weights.Length; i++)
        {
            x -= weights[i];
            if (x <= 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }
}
