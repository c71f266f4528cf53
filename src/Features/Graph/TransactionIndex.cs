using FraudStream.Features.Common;
using FraudStream.Features.Engine;

namespace FraudStream.Features.Graph;

/// <summary>
/// Bounded id → (card, merchant, time) index of recent transactions, so a label (which carries only
/// the transaction id) can find what it is about. Striped by id hash, each stripe a FIFO ring with
/// hash chains and its own lock: no lock is shared by all writers, nothing allocates after start.
/// The oldest entry of a stripe is overwritten when it is full.
/// </summary>
internal sealed class TransactionIndex
{
    private const int StripeCount = 64;
    private readonly Stripe[] _stripes = new Stripe[StripeCount];

    public TransactionIndex(int capacity)
    {
        var perStripe = Math.Max(16, capacity / StripeCount);
        for (var i = 0; i < StripeCount; i++)
        {
            _stripes[i] = new Stripe(perStripe);
        }
    }

    public long Capacity => (long)_stripes[0].Capacity * StripeCount;

    public long ApproximateBytes => _stripes[0].ApproximateBytes * StripeCount;

    public void Record(string id, CardState card, MerchantNode merchant, long ticks)
    {
        var hash = StableHash.Of(id);
        var stripe = _stripes[(int)(hash >> 58)];
        lock (stripe.Gate)
        {
            stripe.Insert(hash, card, merchant, ticks);
        }
    }

    public bool TryFind(string id, out CardState? card, out MerchantNode? merchant, out long ticks)
    {
        var hash = StableHash.Of(id);
        var stripe = _stripes[(int)(hash >> 58)];
        lock (stripe.Gate)
        {
            return stripe.TryFind(hash, out card, out merchant, out ticks);
        }
    }

    private sealed class Stripe
    {
        private readonly ulong[] _ids;
        private readonly CardState?[] _cards;
        private readonly MerchantNode?[] _merchants;
        private readonly long[] _ticks;
        private readonly int[] _next;
        private readonly int[] _buckets;
        private readonly int _bucketMask;
        private int _cursor;
        private int _used;

        public Stripe(int capacity)
        {
            Capacity = capacity;
            _ids = new ulong[capacity];
            _cards = new CardState?[capacity];
            _merchants = new MerchantNode?[capacity];
            _ticks = new long[capacity];
            _next = new int[capacity];
            var buckets = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
            _buckets = new int[buckets];
            _bucketMask = buckets - 1;
            Array.Fill(_buckets, -1);
        }

        public Lock Gate { get; } = new();

        public int Capacity { get; }

        public long ApproximateBytes => 64 + (Capacity * (8 + 8 + 8 + 8 + 4 + 4)) + (_buckets.Length * 4);

        public void Insert(ulong hash, CardState card, MerchantNode merchant, long ticks)
        {
            var slot = _cursor;
            if (_used == Capacity)
            {
                Unlink(slot);
            }
            else
            {
                _used++;
            }

            _ids[slot] = hash;
            _cards[slot] = card;
            _merchants[slot] = merchant;
            _ticks[slot] = ticks;
            var bucket = Bucket(hash);
            _next[slot] = _buckets[bucket];
            _buckets[bucket] = slot;
            _cursor = slot + 1 == Capacity ? 0 : slot + 1;
        }

        public bool TryFind(ulong hash, out CardState? card, out MerchantNode? merchant, out long ticks)
        {
            for (var slot = _buckets[Bucket(hash)]; slot >= 0; slot = _next[slot])
            {
                if (_ids[slot] == hash)
                {
                    card = _cards[slot];
                    merchant = _merchants[slot];
                    ticks = _ticks[slot];
                    return true;
                }
            }

            card = null;
            merchant = null;
            ticks = 0;
            return false;
        }

        private int Bucket(ulong hash) => (int)(hash & (ulong)_bucketMask);

        private void Unlink(int slot)
        {
            var bucket = Bucket(_ids[slot]);
            var previous = -1;
            var current = _buckets[bucket];
            while (current >= 0 && current != slot)
            {
                previous = current;
                current = _next[current];
            }

            if (current < 0)
            {
                return;
            }

            if (previous < 0)
            {
                _buckets[bucket] = _next[slot];
            }
            else
            {
                _next[previous] = _next[slot];
            }
        }
    }
}
