using FraudStream.Core.Contracts;

namespace FraudStream.Ingest.Simulation;

/// <summary>The mutable state of one pass over the stream: the event queue, trips, leaked cards.</summary>
internal sealed class SimulationRun
{
    private const long TicksPerMillisecond = TimeSpan.TicksPerMillisecond;
    private const long TicksPerSecond = TimeSpan.TicksPerSecond;
    private const long TicksPerMinute = TimeSpan.TicksPerMinute;
    private const long TicksPerHour = TimeSpan.TicksPerHour;
    private const long TicksPerDay = TimeSpan.TicksPerDay;
    private const double FavoriteShare = 0.75;
    private const long LeakMinDelayTicks = 2 * TicksPerDay;
    private const long LeakMaxDelayTicks = 14 * TicksPerDay;

    private static readonly int[] TakeoverCategories = Categories(SpendingCategories.Electronics, SpendingCategories.Travel, SpendingCategories.OnlineRetail, SpendingCategories.Fashion);
    private static readonly int[] SpreeCategories = Categories(SpendingCategories.Electronics, SpendingCategories.Fashion, SpendingCategories.Fuel, SpendingCategories.Grocery, SpendingCategories.CashWithdrawal, SpendingCategories.HomeGarden);
    private static readonly int[] LeakCategories = Categories(SpendingCategories.OnlineRetail, SpendingCategories.Electronics, SpendingCategories.Fashion, SpendingCategories.Travel, SpendingCategories.DigitalGoods);
    private static readonly int CashCategory = SpendingCategories.IndexOf(SpendingCategories.CashWithdrawal);

    private readonly SimulatorOptions _options;
    private readonly SimulatedWorld _world;
    private readonly SimulationRandom _traffic;
    private readonly SimulationRandom _fraud;
    private readonly SimulationRandom _labels;
    private readonly PriorityQueue<PendingEvent, EventKey> _queue = new(EventKeyComparer.Instance);
    private readonly int[] _tripCity;
    private readonly long[] _tripUntil;
    private readonly string?[] _newDevice;
    private readonly List<LeakedCard>[] _leaked;
    private readonly bool[] _leakExploited;
    private readonly double[] _episodeMeanGapSeconds = new double[4];
    private readonly string _idPrefix;
    private long _sequence;
    private long _transactions;

    public SimulationRun(SimulatorOptions options, SimulatedWorld world)
    {
        _options = options;
        _world = world;
        _traffic = new SimulationRandom(options.Seed, 2);
        _fraud = new SimulationRandom(options.Seed, 3);
        _labels = new SimulationRandom(options.Seed, 4);
        _tripCity = new int[world.Cards.Length];
        Array.Fill(_tripCity, -1);
        _tripUntil = new long[world.Cards.Length];
        _newDevice = new string?[world.Cards.Length];
        _leaked = new List<LeakedCard>[world.CompromisedMerchants.Length];
        for (var i = 0; i < _leaked.Length; i++)
        {
            _leaked[i] = [];
        }

        _leakExploited = new bool[world.Cards.Length];
        _idPrefix = "tx-" + options.Seed.ToString() + "-";

        // Episodes arrive as Poisson processes sized so fraud makes up FraudRate of all transactions.
        var shares = new[] { options.CardTestingShare, options.AccountTakeoverShare, options.StolenCardSpreeShare, options.CompromisedMerchantShare };
        var meanSizes = new[] { 12.5, 3.5, 10.0, 2.5 };
        var totalShare = shares[0] + shares[1] + shares[2] + shares[3];
        var fraudPerSecond = options.EventTimeTransactionsPerSecond * options.FraudRate / (1.0 - options.FraudRate);
        for (var s = 0; s < shares.Length; s++)
        {
            var episodesPerSecond = totalShare > 0 ? fraudPerSecond * shares[s] / totalShare / meanSizes[s] : 0;
            _episodeMeanGapSeconds[s] = episodesPerSecond > 0 ? 1.0 / episodesPerSecond : double.PositiveInfinity;
        }
    }

    private enum PendingKind : byte
    {
        CardActivity,
        FraudEpisode,
        FraudTransaction,
        Label,
    }

    public IEnumerable<SimulatedEvent> Run(int count)
    {
        var start = _options.StartTime.Ticks;
        for (var c = 0; c < _world.Cards.Length; c++)
        {
            Schedule(NextActivity(c, start), new PendingEvent(PendingKind.CardActivity, c, null, null, null));
        }

        for (var s = 0; s < _episodeMeanGapSeconds.Length; s++)
        {
            ScheduleEpisode(s, start);
        }

        while (_transactions < count && _queue.TryDequeue(out var pending, out var key))
        {
            switch (pending.Kind)
            {
                case PendingKind.CardActivity:
                    var legit = BuildLegitimate(pending.Index, key.Ticks);
                    Schedule(NextActivity(pending.Index, key.Ticks), pending);
                    yield return Emit(legit, isFraud: false, scenario: null);
                    break;
                case PendingKind.FraudEpisode:
                    StartEpisode(pending.Index, key.Ticks);
                    ScheduleEpisode(pending.Index, key.Ticks);
                    break;
                case PendingKind.FraudTransaction:
                    yield return Emit(pending.Transaction!, isFraud: true, pending.Scenario);
                    break;
                default:
                    yield return new SimulatedEvent(pending.Label!.ReportedAt, null, false, null, pending.Label);
                    break;
            }
        }

        if (!_options.EmitPendingLabelsAtEnd)
        {
            yield break;
        }

        while (_queue.TryDequeue(out var pending, out _))
        {
            if (pending.Kind == PendingKind.Label)
            {
                yield return new SimulatedEvent(pending.Label!.ReportedAt, null, false, null, pending.Label);
            }
        }
    }

    private SimulatedEvent Emit(Transaction tx, bool isFraud, string? scenario)
    {
        tx.Id = _idPrefix + _transactions.ToString();
        _transactions++;
        if (isFraud || _labels.Chance(_options.LegitLabelRate))
        {
            long delay;
            if (isFraud)
            {
                // Chargebacks: median three days by default, a long tail up to a month.
                var days = Math.Exp(Math.Log(_options.FraudLabelDelayMedianDays) + _labels.NextGaussian());
                delay = Math.Clamp((long)(days * TicksPerDay), TicksPerHour, 30 * TicksPerDay);
            }
            else
            {
                delay = (long)(_labels.Uniform(1, 30) * TicksPerDay);
            }

            var reported = Truncate(tx.Timestamp.Ticks + delay);
            var flipped = _labels.Chance(_options.LabelNoise);
            var label = new Label(tx.Id, isFraud ^ flipped, new DateTime(reported, DateTimeKind.Utc));
            Schedule(reported, new PendingEvent(PendingKind.Label, 0, null, null, label));
        }

        return new SimulatedEvent(tx.Timestamp, tx, isFraud, scenario, null);
    }

    private Transaction BuildLegitimate(int cardIndex, long ticks)
    {
        var random = _traffic;
        var card = _world.Cards[cardIndex];
        if (_tripCity[cardIndex] >= 0 && ticks > _tripUntil[cardIndex])
        {
            _tripCity[cardIndex] = -1;
        }

        if (_tripCity[cardIndex] < 0 && random.Chance(_options.TravelRate))
        {
            _tripCity[cardIndex] = PickOtherCity(random, card.HomeCity, minDistanceKm: 100);
            _tripUntil[cardIndex] = ticks + (long)(random.Uniform(2, 7) * TicksPerDay);
        }

        var onTrip = _tripCity[cardIndex] >= 0;
        if (!onTrip && _options.LegitOutlierRate > 0 && random.Chance(_options.LegitOutlierRate))
        {
            return LegitimateOutlier(cardIndex, card, ticks, random);
        }

        var city = onTrip ? _tripCity[cardIndex] : card.HomeCity;
        var category = random.Pick(card.CategoryCumulative);
        int merchantIndex;
        if (!onTrip && random.Chance(FavoriteShare))
        {
            var favorites = card.Favorites[category];
            merchantIndex = favorites[random.NextInt(favorites.Length)];
        }
        else
        {
            merchantIndex = _world.PickMerchant(random, category, city);
        }

        var merchant = _world.Merchants[merchantIndex];
        var spending = SpendingCategories.All[merchant.Category];
        var amount = Math.Exp(spending.LogMedian + (spending.Sigma * random.NextGaussian())) * card.AmountScale;
        var tx = NewTransaction(ticks, card, merchant, Amount(merchant.Category, amount, minimum: 0.3));
        if (merchant.Channel == PaymentChannel.Ecom)
        {
            var device = OnlineDevice(cardIndex, card, random);
            if (onTrip)
            {
                var trip = Geography.HomeCities[city].City;
                SetOnline(tx, trip, device, random, jitter: 0.05);
            }
            else
            {
                tx.Device = device;
                tx.Country = Geography.HomeCities[card.HomeCity].City.Country;
                tx.Latitude = Math.Round(card.HomeLatitude + random.Uniform(-0.01, 0.01), 5);
                tx.Longitude = Math.Round(card.HomeLongitude + random.Uniform(-0.01, 0.01), 5);
            }
        }
        else if (_world.IsCompromised[merchantIndex])
        {
            var leak = _leaked[Array.IndexOf(_world.CompromisedMerchants, merchantIndex)];
            leak.Add(new LeakedCard(cardIndex, ticks));
        }

        return tx;
    }

    /// <summary>
    /// Hard worlds: the cardholder's own big online purchase at a merchant new to the card, half the time from a new
    /// device (a new phone, which then stays) — what a takeover looks like, but not one.
    /// </summary>
    private Transaction LegitimateOutlier(int cardIndex, CardProfile card, long ticks, SimulationRandom random)
    {
        var category = TakeoverCategories[random.NextInt(TakeoverCategories.Length)];
        var merchant = _world.Merchants[_world.PickOnlineMerchant(random, category, card.HomeCity)];
        var amount = SpendingCategories.All[merchant.Category].MedianAmount * card.AmountScale * random.Uniform(3, 10);
        var tx = NewTransaction(ticks, card, merchant, Amount(merchant.Category, Math.Min(amount, 9000), minimum: 20));
        string device;
        if (random.Chance(0.5))
        {
            device = SimulatedWorld.NewDeviceId(random);
            _newDevice[cardIndex] = device;
        }
        else
        {
            device = _newDevice[cardIndex] ?? card.Devices[0];
        }

        SetOnline(tx, Geography.HomeCities[card.HomeCity].City, device, random, jitter: 0.02);
        return tx;
    }

    /// <summary>Hard worlds: whether this episode imitates its victim (no draw at all when the share is 0, so standard worlds stay as they were).</summary>
    private bool Stealthy() => _options.StealthShare > 0 && _fraud.Chance(_options.StealthShare);

    private static City HomeOf(CardProfile card) => Geography.HomeCities[card.HomeCity].City;

    /// <summary>The card's usual device; now and then a new one that replaces the main device from then on.</summary>
    private string OnlineDevice(int cardIndex, CardProfile card, SimulationRandom random)
    {
        if (random.Chance(_options.DeviceChangeRate))
        {
            _newDevice[cardIndex] = SimulatedWorld.NewDeviceId(random);
        }

        var main = _newDevice[cardIndex] ?? card.Devices[0];
        return card.Devices.Length > 1 && random.Chance(0.3) ? card.Devices[1] : main;
    }

    private void StartEpisode(int scenario, long ticks)
    {
        switch (scenario)
        {
            case 0:
                CardTesting(ticks);
                break;
            case 1:
                AccountTakeover(ticks);
                break;
            case 2:
                StolenCardSpree(ticks);
                break;
            default:
                CompromisedMerchantFraud(ticks);
                break;
        }
    }

    /// <summary>A fraudster checks a stolen card number with tiny online payments at weak merchants.</summary>
    private void CardTesting(long ticks)
    {
        var random = _fraud;
        var cardIndex = random.NextInt(_world.Cards.Length);
        var card = _world.Cards[cardIndex];
        // Stealthy: through a proxy in the victim's city, a fresh device, slowly, with amounts that pass as coffee.
        var stealthy = Stealthy();
        var origin = stealthy ? HomeOf(card) : Geography.FraudOrigins[random.NextInt(Geography.FraudOrigins.Length)];
        var device = stealthy ? SimulatedWorld.NewDeviceId(random) : _world.AttackerDevices[random.NextInt(_world.AttackerDevices.Length)];
        var pool = _world.CardTestingMerchants;
        Span<int> chosen = stackalloc int[6];
        var wanted = random.NextInt(3, 6);
        var k = 0;
        for (var attempt = 0; attempt < 40 && k < wanted; attempt++)
        {
            var candidate = pool[random.NextInt(pool.Length)];
            if (!chosen[..k].Contains(candidate) && !_world.IsFavorite(card, candidate))
            {
                chosen[k++] = candidate;
            }
        }

        if (k == 0)
        {
            return;
        }

        var n = random.NextInt(5, 20);
        var t = ticks;
        for (var i = 0; i < n; i++)
        {
            if (i > 0)
            {
                t += stealthy ? (long)(random.Uniform(2, 40) * TicksPerMinute) : (long)(random.Uniform(5, 90) * TicksPerSecond);
            }

            var merchant = _world.Merchants[chosen[random.NextInt(k)]];
            var amount = Math.Round((decimal)(stealthy ? random.Uniform(1, 15) : random.Uniform(0.5, 4.99)), 2);
            var tx = NewTransaction(t, card, merchant, amount);
            SetOnline(tx, origin, device, random, jitter: 0.05);
            ScheduleFraud(tx, FraudScenarios.CardTesting);
        }
    }

    /// <summary>Someone logs into the cardholder's account from a new device far away and buys big.</summary>
    private void AccountTakeover(long ticks)
    {
        var random = _fraud;
        var card = _world.Cards[random.NextInt(_world.Cards.Length)];
        // Stealthy: from the victim's city, in the victim's own categories, at amounts a little above the usual, hours apart.
        var stealthy = Stealthy();
        var origin = stealthy ? HomeOf(card)
            : random.Chance(0.7)
            ? Geography.FraudOrigins[random.NextInt(Geography.FraudOrigins.Length)]
            : Geography.HomeCities[PickOtherCountryCity(random, card.HomeCity)].City;
        var device = random.Chance(0.6) ? SimulatedWorld.NewDeviceId(random) : _world.AttackerDevices[random.NextInt(_world.AttackerDevices.Length)];
        var n = random.NextInt(2, 5);
        var t = ticks;
        for (var i = 0; i < n; i++)
        {
            if (i > 0)
            {
                t += stealthy ? (long)(random.Uniform(1, 12) * TicksPerHour) : (long)(random.Uniform(3, 45) * TicksPerMinute);
            }

            var category = stealthy ? random.Pick(card.CategoryCumulative) : TakeoverCategories[random.NextInt(TakeoverCategories.Length)];
            var merchant = _world.Merchants[_world.PickOnlineMerchant(random, category, card.HomeCity)];
            var amount = SpendingCategories.All[merchant.Category].MedianAmount * card.AmountScale * (stealthy ? random.Uniform(1.2, 3) : random.Uniform(3, 10));
            var tx = NewTransaction(t, card, merchant, Amount(merchant.Category, Math.Min(amount, 9000), minimum: 20));
            SetOnline(tx, origin, device, random, jitter: 0.05);
            ScheduleFraud(tx, FraudScenarios.AccountTakeover);
        }
    }

    /// <summary>A thief with the physical card shops fast in another city, testing ever larger amounts.</summary>
    private void StolenCardSpree(long ticks)
    {
        var random = _fraud;
        var card = _world.Cards[random.NextInt(_world.Cards.Length)];
        // Stealthy: a pickpocket in the victim's own city, amounts that hardly grow, an hour or so apart.
        var stealthy = Stealthy();
        var city = stealthy ? card.HomeCity : PickOtherCity(random, card.HomeCity, minDistanceKm: 400);
        var n = random.NextInt(5, 15);
        var amount = random.Uniform(15, 60);
        var growth = stealthy ? random.Uniform(1.0, 1.15) : random.Uniform(1.15, 1.5);
        var t = ticks;
        for (var i = 0; i < n; i++)
        {
            if (i > 0)
            {
                t += stealthy ? (long)(random.Uniform(10, 90) * TicksPerMinute) : (long)(random.Uniform(2, 20) * TicksPerMinute);
                amount = Math.Min(amount * growth, 5000);
            }

            var category = SpreeCategories[random.NextInt(SpreeCategories.Length)];
            var merchant = _world.Merchants[_world.PickPhysicalMerchant(random, category, city)];
            var tx = NewTransaction(t, card, merchant, Amount(merchant.Category, amount, minimum: 1));
            ScheduleFraud(tx, FraudScenarios.StolenCardSpree);
        }
    }

    /// <summary>A card leaked by a compromised merchant 2–14 days ago is used online elsewhere.</summary>
    private void CompromisedMerchantFraud(long ticks)
    {
        var random = _fraud;
        if (_leaked.Length == 0)
        {
            return;
        }

        var cardIndex = -1;
        var first = random.NextInt(_leaked.Length);
        for (var j = 0; j < _leaked.Length && cardIndex < 0; j++)
        {
            cardIndex = TakeLeakedCard(_leaked[(first + j) % _leaked.Length], ticks);
        }

        if (cardIndex < 0)
        {
            return;
        }

        var card = _world.Cards[cardIndex];
        // Stealthy: from the victim's city on a fresh device, at about the victim's amounts.
        var stealthy = Stealthy();
        var origin = stealthy ? HomeOf(card)
            : random.Chance(0.6)
            ? Geography.FraudOrigins[random.NextInt(Geography.FraudOrigins.Length)]
            : Geography.HomeCities[PickOtherCountryCity(random, card.HomeCity)].City;
        var device = stealthy ? SimulatedWorld.NewDeviceId(random) : _world.AttackerDevices[random.NextInt(_world.AttackerDevices.Length)];
        var n = random.NextInt(1, 4);
        var t = ticks;
        for (var i = 0; i < n; i++)
        {
            if (i > 0)
            {
                t += (long)(random.Uniform(10, 360) * TicksPerMinute);
            }

            var category = LeakCategories[random.NextInt(LeakCategories.Length)];
            var merchant = _world.Merchants[_world.PickOnlineMerchant(random, category, card.HomeCity)];
            var amount = SpendingCategories.All[merchant.Category].MedianAmount * card.AmountScale * (stealthy ? random.Uniform(0.8, 2) : random.Uniform(1.5, 4));
            var tx = NewTransaction(t, card, merchant, Amount(merchant.Category, amount, minimum: 5));
            SetOnline(tx, origin, device, random, jitter: 0.05);
            ScheduleFraud(tx, FraudScenarios.CompromisedMerchant);
        }
    }

    /// <summary>A random card seen at the merchant 2–14 days ago and not yet defrauded, or -1.</summary>
    private int TakeLeakedCard(List<LeakedCard> leaked, long now)
    {
        var stale = FirstAtOrAfter(leaked, now - LeakMaxDelayTicks);
        leaked.RemoveRange(0, stale);
        var eligible = FirstAtOrAfter(leaked, now - LeakMinDelayTicks + 1);
        for (var attempt = 0; attempt < 8 && eligible > 0; attempt++)
        {
            var i = _fraud.NextInt(eligible);
            var card = leaked[i].Card;
            if (!_leakExploited[card])
            {
                _leakExploited[card] = true;
                leaked.RemoveAt(i);
                return card;
            }
        }

        return -1;
    }

    private static int FirstAtOrAfter(List<LeakedCard> leaked, long ticks)
    {
        int lo = 0, hi = leaked.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (leaked[mid].Ticks < ticks)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private long NextActivity(int cardIndex, long from)
    {
        // Thinning: candidates at the peak rate, kept with probability weight(local hour) / peak.
        var card = _world.Cards[cardIndex];
        var t = from;
        while (true)
        {
            t += (long)(_traffic.Exponential(card.CandidateGapSeconds) * TicksPerSecond);
            var localHour = (int)((t / TicksPerHour) % 24) + card.LocalHourOffset;
            if (_traffic.NextDouble() * DailyActivityProfile.Peak < DailyActivityProfile.WeightOf(localHour))
            {
                return Math.Max(Truncate(t), from);
            }
        }
    }

    private void ScheduleEpisode(int scenario, long from)
    {
        var gap = _episodeMeanGapSeconds[scenario];
        if (double.IsFinite(gap))
        {
            var at = from + (long)(_fraud.Exponential(gap) * TicksPerSecond);
            Schedule(Truncate(at), new PendingEvent(PendingKind.FraudEpisode, scenario, null, null, null));
        }
    }

    private void ScheduleFraud(Transaction tx, string scenario) =>
        Schedule(tx.Timestamp.Ticks, new PendingEvent(PendingKind.FraudTransaction, 0, tx, scenario, null));

    private void Schedule(long ticks, PendingEvent pending) => _queue.Enqueue(pending, new EventKey(ticks, _sequence++));

    private int PickOtherCity(SimulationRandom random, int homeCity, double minDistanceKm)
    {
        var home = Geography.HomeCities[homeCity].City;
        var fallback = -1;
        for (var attempt = 0; attempt < 32; attempt++)
        {
            var city = random.Pick(_world.CityCumulative);
            if (city == homeCity)
            {
                continue;
            }

            fallback = city;
            var there = Geography.HomeCities[city].City;
            if (Geography.DistanceKm(home.Latitude, home.Longitude, there.Latitude, there.Longitude) >= minDistanceKm)
            {
                return city;
            }
        }

        return fallback >= 0 ? fallback : (homeCity + 1) % Geography.HomeCities.Length;
    }

    private int PickOtherCountryCity(SimulationRandom random, int homeCity)
    {
        var country = _world.CountryOf(homeCity);
        for (var attempt = 0; attempt < 32; attempt++)
        {
            var city = random.Pick(_world.CityCumulative);
            if (_world.CountryOf(city) != country)
            {
                return city;
            }
        }

        // Los Angeles for Europeans, London for Americans.
        return Geography.HomeCities[homeCity].City.Country == "US" ? 14 : 18;
    }

    private static Transaction NewTransaction(long ticks, CardProfile card, MerchantProfile merchant, decimal amount) => new()
    {
        Timestamp = new DateTime(Truncate(ticks), DateTimeKind.Utc),
        Card = card.Id,
        Merchant = merchant.Id,
        Category = SpendingCategories.All[merchant.Category].Name,
        Amount = amount,
        Currency = merchant.Currency,
        Country = merchant.Country,
        Latitude = merchant.Latitude,
        Longitude = merchant.Longitude,
        Channel = merchant.Channel,
    };

    private static void SetOnline(Transaction tx, City location, string device, SimulationRandom random, double jitter)
    {
        tx.Device = device;
        tx.Country = location.Country;
        tx.Latitude = Math.Round(location.Latitude + random.Uniform(-jitter, jitter), 5);
        tx.Longitude = Math.Round(location.Longitude + random.Uniform(-jitter, jitter), 5);
    }

    private static decimal Amount(int category, double value, double minimum)
    {
        if (category == CashCategory)
        {
            // Cash machines pay out in notes.
            return Math.Max(10m, Math.Round((decimal)value / 10m, MidpointRounding.AwayFromZero) * 10m);
        }

        return Math.Round((decimal)Math.Max(value, minimum), 2, MidpointRounding.AwayFromZero);
    }

    private static long Truncate(long ticks) => ticks - (ticks % TicksPerMillisecond);

    private static int[] Categories(params string[] names)
    {
        var indexes = new int[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            indexes[i] = SpendingCategories.IndexOf(names[i]);
        }

        return indexes;
    }

    private readonly record struct PendingEvent(PendingKind Kind, int Index, Transaction? Transaction, string? Scenario, Label? Label);

    private readonly record struct LeakedCard(int Card, long Ticks);

    private readonly record struct EventKey(long Ticks, long Sequence);

    private sealed class EventKeyComparer : IComparer<EventKey>
    {
        public static readonly EventKeyComparer Instance = new();

        public int Compare(EventKey x, EventKey y) =>
            x.Ticks != y.Ticks ? x.Ticks.CompareTo(y.Ticks) : x.Sequence.CompareTo(y.Sequence);
    }
}
