using FraudStream.Core.Contracts;

namespace FraudStream.Ingest.Simulation;

/// <summary>
/// A deterministic card-payment world: cards with homes, habits (categories, hours, amounts) and devices;
/// merchants with categories and places; and four fraud scenarios with ground truth — card testing,
/// account takeover, stolen-card spree, compromised merchant — plus labels that arrive days later, with
/// some noise. Everything comes from one seeded <see cref="Random"/>, so a seed is a stream.
/// </summary>
public sealed class TransactionSimulator
{
    private readonly SimulatorOptions _options;

    public TransactionSimulator(SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Cards, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Merchants, 1);
        _options = options;
    }

    /// <summary>Yields <paramref name="transactions"/> transactions, and the labels due among them, in event-time order.</summary>
    public IEnumerable<SimulatedEvent> Generate(int transactions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(transactions);
        return new Run(_options).Events(transactions);
    }

    private sealed class Run
    {
        private readonly SimulatorOptions _o;
        private readonly Random _rng;
        private readonly World _world;
        private readonly double[] _activityCumulative;
        private readonly PriorityQueue<(Transaction Tx, string Scenario), (long, long)> _fraud = new();
        private readonly PriorityQueue<Label, (long, long)> _labels = new();
        private long _seq;
        private long _emitted;

        public Run(SimulatorOptions options)
        {
            _o = options;
            _rng = new Random(options.Seed);
            _world = new World(options, _rng);
            _activityCumulative = new double[_world.CardActivity.Length];
            var sum = 0.0;
            for (var i = 0; i < _activityCumulative.Length; i++)
            {
                sum += _world.CardActivity[i];
                _activityCumulative[i] = sum;
            }
        }

        public IEnumerable<SimulatedEvent> Events(int count)
        {
            var t = _o.StartTime;
            // Poisson arrivals in event time: cards × per-day rate, thinned by each card's hour-of-day habit.
            var perSecond = _o.Cards * _o.TransactionsPerCardPerDay / 86_400.0 * 2.0;
            while (_emitted < count)
            {
                t = t.AddTicks((long)(-Math.Log(1.0 - _rng.NextDouble()) / perSecond * TimeSpan.TicksPerSecond) + 1);
                foreach (var e in DueBefore(t, count))
                {
                    yield return e;
                }

                if (_emitted >= count)
                {
                    break;
                }

                var card = _world.Cards[PickCard()];
                if (_rng.NextDouble() > HourAcceptance(card, t))
                {
                    continue;
                }

                var (tx, merchant) = Normal(card, t);
                yield return Emit(tx, fraud: false, scenario: null);
                if (merchant.Compromised && !card.Exposed && _rng.NextDouble() < 0.35)
                {
                    card.Exposed = true;
                    ScheduleCompromiseFraud(card, t.AddHours(24 + (_rng.NextDouble() * 24 * 9)));
                }

                if (_rng.NextDouble() < _o.ScenarioRate)
                {
                    StartScenario(t);
                }
            }

            if (_o.FlushPendingLabels)
            {
                while (_labels.TryDequeue(out var label, out _))
                {
                    yield return new SimulatedEvent(null, false, null, label);
                }
            }
        }

        private IEnumerable<SimulatedEvent> DueBefore(DateTime t, int count)
        {
            while (true)
            {
                var hasFraud = _fraud.TryPeek(out _, out var fk) && fk.Item1 <= t.Ticks && _emitted < count;
                var hasLabel = _labels.TryPeek(out _, out var lk) && lk.Item1 <= t.Ticks;
                if (!hasFraud && !hasLabel)
                {
                    yield break;
                }

                if (hasLabel && (!hasFraud || lk.Item1 <= fk.Item1))
                {
                    yield return new SimulatedEvent(null, false, null, _labels.Dequeue());
                }
                else
                {
                    var (tx, scenario) = _fraud.Dequeue();
                    yield return Emit(tx, fraud: true, scenario);
                }
            }
        }

        private SimulatedEvent Emit(Transaction tx, bool fraud, string? scenario)
        {
            tx.Id = $"tx-{_o.Seed}-{_emitted:D9}";
            _emitted++;
            var labelled = fraud || _rng.NextDouble() < _o.LegitLabelShare;
            if (labelled)
            {
                // Chargebacks come after days (log-normal around 3 days, 1 h to 30 days); clean labels later.
                var days = fraud ? Math.Exp(Math.Log(3) + (World.Normal(_rng) * 0.8)) : 5 + (_rng.NextDouble() * 25);
                days = Math.Clamp(days, 1.0 / 24, 30);
                var reported = tx.Timestamp.AddDays(days);
                var noisy = _rng.NextDouble() < _o.LabelNoise ? !fraud : fraud;
                _labels.Enqueue(new Label(tx.Id, noisy, reported), (reported.Ticks, _seq++));
            }

            return new SimulatedEvent(tx, fraud, scenario, null);
        }

        private int PickCard()
        {
            var x = _rng.NextDouble() * _activityCumulative[^1];
            var i = Array.BinarySearch(_activityCumulative, x);
            return Math.Min(i < 0 ? ~i : i, _activityCumulative.Length - 1);
        }

        private static double HourAcceptance(World.Card card, DateTime t)
        {
            var hour = t.Hour + (t.Minute / 60.0);
            var d = Math.Abs(hour - card.PeakHour);
            d = Math.Min(d, 24 - d);
            return 0.08 + (0.92 * Math.Exp(-(d * d) / (2 * 4.0 * 4.0)));
        }

        private (Transaction, World.Merchant) Normal(World.Card card, DateTime t)
        {
            var catIndex = World.Pick(_rng, card.CategoryWeights);
            var category = World.Categories[catIndex];
            var city = _rng.NextDouble() < 0.97 ? card.HomeCity : _rng.Next(World.HomeCities); // occasional trips
            var merchant = PickMerchant(city, catIndex);
            var ecom = _rng.NextDouble() < category.EcomShare;
            var amount = Math.Exp(category.LogMean + (World.Normal(_rng) * category.LogSigma)) * card.AmountScale;
            if (category.Cash)
            {
                amount = Math.Max(20, Math.Round(amount / 10) * 10);
            }

            var home = World.Cities[card.HomeCity];
            var where = World.Cities[city];
            var tx = new Transaction
            {
                Timestamp = t,
                Card = card.Id,
                Merchant = merchant.Id,
                Category = category.Name,
                Amount = Money(amount),
                Currency = ecom ? home.Currency : where.Currency,
                Country = ecom ? home.Country : where.Country,
                Channel = category.Cash ? PaymentChannel.Atm : ecom ? PaymentChannel.Ecom : PaymentChannel.Pos,
            };
            if (ecom)
            {
                (tx.Latitude, tx.Longitude) = World.Jitter(_rng, card.Lat, card.Lon, 0.02);
                tx.Device = card.Devices[_rng.Next(card.Devices.Length)];
            }
            else
            {
                tx.Latitude = merchant.Lat;
                tx.Longitude = merchant.Lon;
            }

            return (tx, merchant);
        }

        private World.Merchant PickMerchant(int city, int category)
        {
            var list = _world.MerchantsByCityAndCategory[city][category];
            return list.Length > 0
                ? _world.Merchants[list[_rng.Next(list.Length)]]
                : _world.Merchants[_rng.Next(_world.Merchants.Length)];
        }

        private void StartScenario(DateTime t)
        {
            var card = _world.Cards[_rng.Next(_world.Cards.Length)];
            var start = t.AddMinutes(_rng.NextDouble() * 120);
            switch (_rng.Next(3))
            {
                case 0: CardTesting(card, start); break;
                case 1: AccountTakeover(card, start, FraudScenarios.AccountTakeover); break;
                default: StolenCardSpree(card, start); break;
            }
        }

        /// <summary>Bursts of tiny online amounts at merchants the card never used, from one fraudster device.</summary>
        private void CardTesting(World.Card card, DateTime start)
        {
            var n = 5 + _rng.Next(16);
            var device = $"dev-fraud-{_rng.Next(100_000):D5}";
            var t = start;
            for (var i = 0; i < n; i++)
            {
                t = t.AddSeconds(5 + (_rng.NextDouble() * 60));
                var merchant = _world.Merchants[_rng.Next(_world.Merchants.Length)];
                var tx = FraudTx(card, merchant, t, Money(0.5 + (_rng.NextDouble() * 4.49)), PaymentChannel.Ecom, device, FarCity());
                Schedule(tx, FraudScenarios.CardTesting);
            }
        }

        /// <summary>A new device in another country, a few large online purchases.</summary>
        private void AccountTakeover(World.Card card, DateTime start, string scenario)
        {
            var n = 1 + _rng.Next(4);
            var device = $"dev-fraud-{_rng.Next(100_000):D5}";
            var far = FarCity();
            var t = start;
            for (var i = 0; i < n; i++)
            {
                t = t.AddMinutes(3 + (_rng.NextDouble() * 40));
                var cat = _rng.NextDouble() < 0.6 ? 5 : 6; // electronics or travel
                var merchant = PickMerchant(_rng.Next(World.HomeCities), cat);
                var amount = 300 + (Math.Exp(World.Normal(_rng) * 0.6) * 700);
                Schedule(FraudTx(card, merchant, t, Money(amount), PaymentChannel.Ecom, device, far), scenario);
            }
        }

        /// <summary>A physical card used in quick succession far from home, amounts rising.</summary>
        private void StolenCardSpree(World.Card card, DateTime start)
        {
            var n = 5 + _rng.Next(11);
            var far = FarCity();
            var t = start;
            var amount = 30 + (_rng.NextDouble() * 40);
            for (var i = 0; i < n; i++)
            {
                t = t.AddMinutes(2 + (_rng.NextDouble() * 12));
                var cat = _rng.NextDouble() < 0.2 ? 10 : _rng.Next(World.Categories.Length - 1);
                var merchant = PickMerchant(far, cat);
                amount *= 1.15 + (_rng.NextDouble() * 0.3);
                var channel = cat == 10 ? PaymentChannel.Atm : PaymentChannel.Pos;
                Schedule(FraudTx(card, merchant, t, Money(Math.Min(amount, 2500)), channel, null, far), FraudScenarios.StolenCardSpree);
            }
        }

        /// <summary>Days after shopping at a leaking merchant, the card is used elsewhere by someone else.</summary>
        private void ScheduleCompromiseFraud(World.Card card, DateTime at)
        {
            if (_rng.NextDouble() < 0.5)
            {
                AccountTakeover(card, at, FraudScenarios.CompromisedMerchant);
                return;
            }

            var n = 2 + _rng.Next(5);
            var device = $"dev-fraud-{_rng.Next(100_000):D5}";
            var t = at;
            for (var i = 0; i < n; i++)
            {
                t = t.AddMinutes(1 + (_rng.NextDouble() * 30));
                var merchant = _world.Merchants[_rng.Next(_world.Merchants.Length)];
                var amount = 80 + (Math.Exp(World.Normal(_rng) * 0.7) * 150);
                Schedule(FraudTx(card, merchant, t, Money(amount), PaymentChannel.Ecom, device, card.HomeCity), FraudScenarios.CompromisedMerchant);
            }
        }

        private int FarCity()
        {
            // Mostly a city outside the card holders' world, sometimes another home city.
            return _rng.NextDouble() < 0.6
                ? World.HomeCities + _rng.Next(World.Cities.Length - World.HomeCities)
                : _rng.Next(World.HomeCities);
        }

        private Transaction FraudTx(World.Card card, World.Merchant merchant, DateTime t, decimal amount, PaymentChannel channel, string? device, int city)
        {
            var where = World.Cities[city];
            var (lat, lon) = channel == PaymentChannel.Ecom && city == card.HomeCity
                ? World.Jitter(_rng, card.Lat, card.Lon, 0.3)
                : World.Jitter(_rng, where.Lat, where.Lon, 0.05);
            return new Transaction
            {
                Timestamp = t, Card = card.Id, Merchant = merchant.Id, Category = World.Categories[merchant.Category].Name,
                Amount = amount, Currency = where.Currency, Country = where.Country, Latitude = lat, Longitude = lon,
                Device = device, Channel = channel,
            };
        }

        private void Schedule(Transaction tx, string scenario) => _fraud.Enqueue((tx, scenario), (tx.Timestamp.Ticks, _seq++));

        private static decimal Money(double amount) => Math.Max(0.01m, Math.Round((decimal)amount, 2));
    }
}
