namespace FraudStream.Features.Engine;

/// <summary>
/// Count and amount sum of one card over three sliding windows (1 min, 1 h, 24 h), kept incrementally:
/// one ring of events, one start pointer per window. An event at time e is inside the window of length
/// W at time t when t - e &lt; W (so exactly W later it has left). Times never go backwards here: the
/// caller clamps an out-of-order transaction to the card's latest time. A struct held inline by the
/// card (one object fewer to miss in cache); always used by reference.
/// </summary>
internal struct SlidingWindows
{
    public static readonly long[] Lengths = [TimeSpan.TicksPerMinute, TimeSpan.TicksPerHour, TimeSpan.TicksPerDay];

    private int _maxEvents;
    private Event[] _events;
    private int _mask;

    // Sequence numbers: events [start_w, _next) are inside window w; ring slot = seq & _mask.
    private long _next;
    private long _start1m;
    private long _start1h;
    private long _start24h;
    private double _sum1m;
    private double _sum1h;
    private double _sum24h;

    public SlidingWindows(int initialCapacity, int maxEvents)
    {
        var capacity = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, initialCapacity));
        _maxEvents = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, maxEvents));
        _events = new Event[capacity];
        _mask = capacity - 1;
    }

    public readonly int Capacity => _events.Length;

    public readonly long Count1m => _next - _start1m;

    public readonly long Count1h => _next - _start1h;

    public readonly long Count24h => _next - _start24h;

    public readonly double Sum1m => _sum1m;

    public readonly double Sum1h => _sum1h;

    public readonly double Sum24h => _sum24h;

    /// <summary>Starts loading the first event of each window (the next to leave) and the slot the next event goes to.</summary>
    public readonly void Prefetch()
    {
        Common.Prefetch.Line(in _events[(int)(_start24h & _mask)]);
        Common.Prefetch.Line(in _events[(int)(_start1h & _mask)]);
        Common.Prefetch.Line(in _events[(int)(_start1m & _mask)]);
        Common.Prefetch.Line(in _events[(int)(_next & _mask)]);
    }

    /// <summary>Drops the events that have left each window at time <paramref name="now"/>.</summary>
    public void Advance(long now)
    {
        Evict(ref _start1m, ref _sum1m, now - TimeSpan.TicksPerMinute);
        Evict(ref _start1h, ref _sum1h, now - TimeSpan.TicksPerHour);
        Evict(ref _start24h, ref _sum24h, now - TimeSpan.TicksPerDay);
    }

    public void Add(long now, double amount)
    {
        if (_next - _start24h == _events.Length && !TryGrow())
        {
            // Full at the cap: the oldest event leaves every window that still holds it.
            DropOldest();
        }

        ref var slot = ref _events[(int)(_next & _mask)];
        slot.Ticks = now;
        slot.Amount = amount;
        _next++;
        _sum1m += amount;
        _sum1h += amount;
        _sum24h += amount;
    }

    private void Evict(ref long start, ref double sum, long cutoff)
    {
        while (start < _next)
        {
            ref var e = ref _events[(int)(start & _mask)];
            if (e.Ticks > cutoff)
            {
                break;
            }

            sum -= e.Amount;
            start++;
        }

        if (start == _next)
        {
            sum = 0; // no drift left behind by repeated add/subtract
        }
    }

    private void DropOldest()
    {
        var oldest = _start24h;
        var amount = _events[(int)(oldest & _mask)].Amount;
        _start24h++;
        _sum24h -= amount;
        if (_start1h == oldest)
        {
            _start1h++;
            _sum1h -= amount;
        }

        if (_start1m == oldest)
        {
            _start1m++;
            _sum1m -= amount;
        }
    }

    private bool TryGrow()
    {
        if (_events.Length >= _maxEvents)
        {
            return false;
        }

        var capacity = _events.Length * 2;
        var events = new Event[capacity];
        var newMask = capacity - 1;
        for (var seq = _start24h; seq < _next; seq++)
        {
            events[(int)(seq & newMask)] = _events[(int)(seq & _mask)];
        }

        _events = events;
        _mask = newMask;
        return true;
    }

    public readonly long ApproximateBytes => 24 + (16L * _events.Length);

    private struct Event
    {
        public long Ticks;
        public double Amount;
    }
}
