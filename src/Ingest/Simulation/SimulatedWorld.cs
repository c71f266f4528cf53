using FraudStream.Core.Contracts;

namespace FraudStream.Ingest.Simulation;

/// <summary>A cardholder: where they live, what, when and how much they buy, which devices they use.</summary>
internal sealed class CardProfile
{
    public required string Id { get; init; }

    public required int HomeCity { get; init; }

    public required double HomeLatitude { get; init; }

    public required double HomeLongitude { get; init; }

    /// <summary>Local hour offset from UTC including the cardholder's own habit (early bird, night owl).</summary>
    public required int LocalHourOffset { get; init; }

    /// <summary>Mean seconds between candidate events of the thinned Poisson process.</summary>
    public required double CandidateGapSeconds { get; init; }

    public required double AmountScale { get; init; }

    /// <summary>Cumulative category weights, indexed like <see cref="SpendingCategories.All"/>.</summary>
    public required double[] CategoryCumulative { get; init; }

    /// <summary>Regular merchants per category.</summary>
    public required int[][] Favorites { get; init; }

    public required string[] Devices { get; init; }
}

internal sealed class MerchantProfile
{
    public required string Id { get; init; }

    public required int Category { get; init; }

    public required PaymentChannel Channel { get; init; }

    public required int City { get; init; }

    public required double Latitude { get; init; }

    public required double Longitude { get; init; }

    public required double Popularity { get; init; }

    public string Country => Geography.HomeCities[City].City.Country;

    public string Currency => Geography.HomeCities[City].City.Currency;
}

/// <summary>Merchants to choose from, drawn by popularity.</summary>
internal sealed class MerchantList
{
    public static readonly MerchantList Empty = new([], []);

    private readonly double[] _cumulative;

    private MerchantList(int[] members, double[] cumulative)
    {
        Members = members;
        _cumulative = cumulative;
    }

    public int[] Members { get; }

    public bool IsEmpty => Members.Length == 0;

    public static MerchantList From(List<int> members, MerchantProfile[] merchants)
    {
        if (members.Count == 0)
        {
            return Empty;
        }

        var cumulative = new double[members.Count];
        var sum = 0.0;
        for (var i = 0; i < members.Count; i++)
        {
            sum += merchants[members[i]].Popularity;
            cumulative[i] = sum;
        }

        return new([.. members], cumulative);
    }

    public int Pick(SimulationRandom random) => Members[random.Pick(_cumulative)];
}

/// <summary>
/// The fixed part of a simulation: cards, merchants and the lookup tables the generator draws from.
/// Built once from the seed; never changed while generating.
/// </summary>
internal sealed class SimulatedWorld
{
    private const double EcomAbroadShare = 0.15;
    private const double MixedCategoryInStoreShare = 0.65;

    private readonly MerchantList[][] _physicalByCategoryCity;
    private readonly MerchantList[] _physicalByCategory;
    private readonly MerchantList[] _physicalByCity;
    private readonly MerchantList[][] _ecomByCategoryCountry;
    private readonly MerchantList[] _ecomByCategory;
    private readonly int[] _cityCountry;

    public SimulatedWorld(SimulatorOptions options)
    {
        var random = new SimulationRandom(options.Seed, 1);
        var categories = SpendingCategories.All;
        var cities = Geography.HomeCities;
        CityCumulative = Cumulative(cities.Length, i => cities[i].Weight);

        var countries = new List<string>();
        _cityCountry = new int[cities.Length];
        for (var i = 0; i < cities.Length; i++)
        {
            var index = countries.IndexOf(cities[i].City.Country);
            if (index < 0)
            {
                index = countries.Count;
                countries.Add(cities[i].City.Country);
            }

            _cityCountry[i] = index;
        }

        Merchants = BuildMerchants(options, random);

        var physicalByCategoryCity = NewLists(categories.Length, cities.Length);
        var physicalByCategory = NewLists(categories.Length);
        var physicalByCity = NewLists(cities.Length);
        var ecomByCategoryCountry = NewLists(categories.Length, countries.Count);
        var ecomByCategory = NewLists(categories.Length);
        for (var m = 0; m < Merchants.Length; m++)
        {
            var merchant = Merchants[m];
            if (merchant.Channel == PaymentChannel.Ecom)
            {
                ecomByCategoryCountry[merchant.Category][_cityCountry[merchant.City]].Add(m);
                ecomByCategory[merchant.Category].Add(m);
            }
            else
            {
                physicalByCategoryCity[merchant.Category][merchant.City].Add(m);
                physicalByCategory[merchant.Category].Add(m);
                physicalByCity[merchant.City].Add(m);
            }
        }

        _physicalByCategoryCity = ToLists(physicalByCategoryCity);
        _physicalByCategory = ToLists(physicalByCategory);
        _physicalByCity = ToLists(physicalByCity);
        _ecomByCategoryCountry = ToLists(ecomByCategoryCountry);
        _ecomByCategory = ToLists(ecomByCategory);
        EcomAll = MerchantList.From(AllWhere(m => m.Channel == PaymentChannel.Ecom), Merchants);
        PhysicalAll = MerchantList.From(AllWhere(m => m.Channel != PaymentChannel.Ecom), Merchants);

        AttackerDevices = new string[40];
        for (var i = 0; i < AttackerDevices.Length; i++)
        {
            AttackerDevices[i] = NewDeviceId(random);
        }

        Cards = BuildCards(options, random, out var favoriteCounts);
        CompromisedMerchants = PickCompromisedMerchants(options, random, favoriteCounts);
        IsCompromised = new bool[Merchants.Length];
        foreach (var m in CompromisedMerchants)
        {
            IsCompromised[m] = true;
        }

        CardTestingMerchants = PickCardTestingMerchants(random);
    }

    public CardProfile[] Cards { get; }

    public MerchantProfile[] Merchants { get; }

    public double[] CityCumulative { get; }

    public MerchantList EcomAll { get; }

    public MerchantList PhysicalAll { get; }

    /// <summary>Devices fraud rings reuse across victims.</summary>
    public string[] AttackerDevices { get; }

    public int[] CompromisedMerchants { get; }

    public bool[] IsCompromised { get; }

    /// <summary>Small e-commerce merchants with weak checks that card testers favour.</summary>
    public int[] CardTestingMerchants { get; }

    public static string NewDeviceId(SimulationRandom random) => "dev-" + (random.NextUInt64() >> 16).ToString("x12");

    /// <summary>A merchant of the category reachable from the city: in store there, or online.</summary>
    public int PickMerchant(SimulationRandom random, int category, int city)
    {
        var channels = SpendingCategories.All[category].Channels;
        var online = channels == MerchantChannels.EcomOnly
            || (channels == MerchantChannels.Mixed && !random.Chance(MixedCategoryInStoreShare));
        return online ? PickOnlineMerchant(random, category, city) : PickPhysicalMerchant(random, category, city);
    }

    public int PickOnlineMerchant(SimulationRandom random, int category, int city)
    {
        var list = random.Chance(EcomAbroadShare) ? _ecomByCategory[category] : _ecomByCategoryCountry[category][_cityCountry[city]];
        if (list.IsEmpty)
        {
            list = _ecomByCategory[category];
        }

        return list.IsEmpty ? EcomAll.Pick(random) : list.Pick(random);
    }

    public int PickPhysicalMerchant(SimulationRandom random, int category, int city)
    {
        var list = _physicalByCategoryCity[category][city];
        if (list.IsEmpty)
        {
            list = _physicalByCity[city];
        }

        if (list.IsEmpty)
        {
            list = _physicalByCategory[category];
        }

        return list.IsEmpty ? PhysicalAll.Pick(random) : list.Pick(random);
    }

    public bool IsFavorite(CardProfile card, int merchant)
    {
        var favorites = card.Favorites[Merchants[merchant].Category];
        return Array.IndexOf(favorites, merchant) >= 0;
    }

    public int CountryOf(int city) => _cityCountry[city];

    private static MerchantProfile[] BuildMerchants(SimulatorOptions options, SimulationRandom random)
    {
        var categories = SpendingCategories.All;
        var categoryCumulative = Cumulative(categories.Length, i => categories[i].MerchantShare);
        var cities = Geography.HomeCities;
        var cityCumulative = Cumulative(cities.Length, i => cities[i].Weight);
        var merchants = new MerchantProfile[options.Merchants];
        for (var m = 0; m < merchants.Length; m++)
        {
            // The first merchants cover every category once, so no category is ever empty.
            var category = m < categories.Length ? m : random.Pick(categoryCumulative);
            var city = random.Pick(cityCumulative);
            var channel = categories[category].Channels switch
            {
                MerchantChannels.PosOnly => PaymentChannel.Pos,
                MerchantChannels.EcomOnly => PaymentChannel.Ecom,
                MerchantChannels.Atm => PaymentChannel.Atm,
                _ => random.Chance(0.5) ? PaymentChannel.Pos : PaymentChannel.Ecom,
            };
            var home = cities[city].City;
            merchants[m] = new MerchantProfile
            {
                Id = "merchant-" + m.ToString("D5"),
                Category = category,
                Channel = channel,
                City = city,
                Latitude = Math.Round(home.Latitude + random.Uniform(-0.08, 0.08), 5),
                Longitude = Math.Round(home.Longitude + random.Uniform(-0.12, 0.12), 5),
                Popularity = Math.Exp(random.NextGaussian()),
            };
        }

        return merchants;
    }

    private CardProfile[] BuildCards(SimulatorOptions options, SimulationRandom random, out int[] favoriteCounts)
    {
        var categories = SpendingCategories.All;
        var cities = Geography.HomeCities;
        favoriteCounts = new int[Merchants.Length];
        var cards = new CardProfile[options.Cards];
        const double ActivitySigma = 0.7;
        var activityMean = Math.Exp(ActivitySigma * ActivitySigma / 2);
        for (var c = 0; c < cards.Length; c++)
        {
            var city = random.Pick(CityCumulative);
            var home = cities[city].City;

            // Each cardholder leans towards a few categories: base popularity times a random taste.
            var taste = new double[categories.Length];
            var sum = 0.0;
            for (var k = 0; k < taste.Length; k++)
            {
                sum += categories[k].Popularity * random.Exponential(1.0);
                taste[k] = sum;
            }

            var favorites = new int[categories.Length][];
            for (var k = 0; k < categories.Length; k++)
            {
                var count = random.NextInt(1, 3);
                favorites[k] = new int[count];
                for (var f = 0; f < count; f++)
                {
                    var merchant = PickMerchant(random, k, city);
                    favorites[k][f] = merchant;
                    favoriteCounts[merchant]++;
                }
            }

            var devices = random.Chance(0.6) ? new[] { NewDeviceId(random) } : new[] { NewDeviceId(random), NewDeviceId(random) };
            var activity = Math.Exp(ActivitySigma * random.NextGaussian()) / activityMean;
            var dailyRate = options.TransactionsPerCardPerDay * activity;
            cards[c] = new CardProfile
            {
                Id = "card-" + c.ToString("D6"),
                HomeCity = city,
                HomeLatitude = Math.Round(home.Latitude + random.Uniform(-0.1, 0.1), 5),
                HomeLongitude = Math.Round(home.Longitude + random.Uniform(-0.15, 0.15), 5),
                LocalHourOffset = home.UtcOffsetHours + random.NextInt(-2, 2),
                CandidateGapSeconds = 86_400.0 / dailyRate * DailyActivityProfile.Mean / DailyActivityProfile.Peak,
                AmountScale = Math.Exp(0.35 * random.NextGaussian()),
                CategoryCumulative = taste,
                Favorites = favorites,
                Devices = devices,
            };
        }

        return cards;
    }

    private int[] PickCompromisedMerchants(SimulatorOptions options, SimulationRandom random, int[] favoriteCounts)
    {
        // Busy in-store merchants many cards visit regularly: a leak there reaches many cards.
        var grocery = SpendingCategories.IndexOf(SpendingCategories.Grocery);
        var restaurant = SpendingCategories.IndexOf(SpendingCategories.Restaurant);
        var fuel = SpendingCategories.IndexOf(SpendingCategories.Fuel);
        var candidates = new List<int>();
        for (var m = 0; m < Merchants.Length; m++)
        {
            var merchant = Merchants[m];
            if (merchant.Channel == PaymentChannel.Pos && (merchant.Category == grocery || merchant.Category == restaurant || merchant.Category == fuel))
            {
                candidates.Add(m);
            }
        }

        // Stable order: most favoured first, ties by index.
        candidates.Sort((a, b) => favoriteCounts[a] != favoriteCounts[b] ? favoriteCounts[b].CompareTo(favoriteCounts[a]) : a.CompareTo(b));
        var pool = candidates.GetRange(0, Math.Min(candidates.Count, Math.Max(options.CompromisedMerchants * 4, options.CompromisedMerchants)));
        var chosen = new List<int>();
        while (chosen.Count < options.CompromisedMerchants && pool.Count > 0)
        {
            var i = random.NextInt(pool.Count);
            chosen.Add(pool[i]);
            pool.RemoveAt(i);
        }

        return [.. chosen];
    }

    private int[] PickCardTestingMerchants(SimulationRandom random)
    {
        var digital = SpendingCategories.IndexOf(SpendingCategories.DigitalGoods);
        var retail = SpendingCategories.IndexOf(SpendingCategories.OnlineRetail);
        var entertainment = SpendingCategories.IndexOf(SpendingCategories.Entertainment);
        var candidates = new List<int>();
        for (var m = 0; m < Merchants.Length; m++)
        {
            var merchant = Merchants[m];
            if (merchant.Channel == PaymentChannel.Ecom && (merchant.Category == digital || merchant.Category == retail || merchant.Category == entertainment))
            {
                candidates.Add(m);
            }
        }

        var chosen = new List<int>();
        while (chosen.Count < 12 && candidates.Count > 0)
        {
            var i = random.NextInt(candidates.Count);
            chosen.Add(candidates[i]);
            candidates.RemoveAt(i);
        }

        return [.. chosen];
    }

    private List<int> AllWhere(Func<MerchantProfile, bool> predicate)
    {
        var list = new List<int>();
        for (var m = 0; m < Merchants.Length; m++)
        {
            if (predicate(Merchants[m]))
            {
                list.Add(m);
            }
        }

        return list;
    }

    private static double[] Cumulative(int count, Func<int, double> weight)
    {
        var cumulative = new double[count];
        var sum = 0.0;
        for (var i = 0; i < count; i++)
        {
            sum += weight(i);
            cumulative[i] = sum;
        }

        return cumulative;
    }

    private static List<int>[] NewLists(int count)
    {
        var lists = new List<int>[count];
        for (var i = 0; i < count; i++)
        {
            lists[i] = [];
        }

        return lists;
    }

    private static List<int>[][] NewLists(int outer, int inner)
    {
        var lists = new List<int>[outer][];
        for (var i = 0; i < outer; i++)
        {
            lists[i] = NewLists(inner);
        }

        return lists;
    }

    private MerchantList[] ToLists(List<int>[] lists)
    {
        var result = new MerchantList[lists.Length];
        for (var i = 0; i < lists.Length; i++)
        {
            result[i] = MerchantList.From(lists[i], Merchants);
        }

        return result;
    }

    private MerchantList[][] ToLists(List<int>[][] lists)
    {
        var result = new MerchantList[lists.Length][];
        for (var i = 0; i < lists.Length; i++)
        {
            result[i] = ToLists(lists[i]);
        }

        return result;
    }
}
