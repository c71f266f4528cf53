using FraudStream.Features.Checkpoints;

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

    // Far above any cap in use (MaxWindowEvents defaults to 4,096): only a defective checkpoint asks for more.
    private const int MaxRestoredCapacity = 1 << 20;

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

    public readonly long ApproximateBytes => 24 + (16L * (_events?.Length ?? 0));

    /// <summary>
    /// Becomes a copy of <paramref name="source"/> for a snapshot: every field by value and the events inside the 24 h
    /// window (the only ones <see cref="WriteCheckpoint"/> reads) into this copy's own ring, kept when its size matches.
    /// </summary>
    public void CopyFrom(in SlidingWindows source)
    {
        var events = _events;
        this = source;
        if (source._events is null)
        {
            return;
        }

        if (events is null || events.Length != source._events.Length)
        {
            events = new Event[source._events.Length];
        }

        // The live events in at most two runs of the ring: [start24h, next) modulo its size.
        var live = (int)(source._next - source._start24h);
        var first = (int)(source._start24h & source._mask);
        var head = Math.Min(live, events.Length - first);
        Array.Copy(source._events, first, events, first, head);
        Array.Copy(source._events, 0, events, 0, live - head);
        _events = events;
    }

    /// <summary>
    /// The ring's size, its sequence numbers, sums and the events still inside the 24 h window (no other is read
    /// again), each time as a difference from <paramref name="referenceTicks"/> (the card's latest time). A ring
    /// not allocated yet (a card created for a checkpoint and never filled) is written as size 0.
    /// </summary>
    public readonly void WriteCheckpoint(ref CheckpointWriter writer, long referenceTicks)
    {
        if (_events is null)
        {
            writer.WriteCount(0);
            return;
        }

        writer.WriteCount(_events.Length);
        writer.WriteVarInt(_next);
        writer.WriteVarInt(_next - _start24h);
        writer.WriteVarInt(_next - _start1h);
        writer.WriteVarInt(_next - _start1m);
        writer.WriteDouble(_sum1m);
        writer.WriteDouble(_sum1h);
        writer.WriteDouble(_sum24h);
        for (var seq = _start24h; seq < _next; seq++)
        {
            ref readonly var e = ref _events[(int)(seq & _mask)];
            writer.WriteVarInt(unchecked(referenceTicks - e.Ticks));
            writer.WriteDouble(e.Amount);
        }
    }

    /// <summary>The windows <see cref="WriteCheckpoint"/> wrote, each event in the ring slot it had; the cap from today's options.</summary>
    public static SlidingWindows ReadCheckpoint(ref CheckpointReader reader, long referenceTicks, int maxEvents)
    {
        var capacity = reader.ReadCount(MaxRestoredCapacity);
        if (capacity == 0)
        {
            return default;
        }

        if (!System.Numerics.BitOperations.IsPow2(capacity))
        {
            CheckpointReader.ThrowMalformed($"a window ring of {capacity} events is not a power of two");
        }

        var windows = new SlidingWindows
        {
            _events = new Event[capacity],
            _mask = capacity - 1,
            _maxEvents = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, maxEvents)),
        };
        var next = reader.ReadVarInt();
        windows._next = next;
        windows._start24h = next - reader.ReadVarInt();
        windows._start1h = next - reader.ReadVarInt();
        windows._start1m = next - reader.ReadVarInt();
        if (windows._start24h < 0 || next - windows._start24h > capacity || windows._start1h < windows._start24h
            || windows._start1m < windows._start1h || windows._start1m > next)
        {
            CheckpointReader.ThrowMalformed("window starts out of order");
        }

        windows._sum1m = reader.ReadDouble();
        windows._sum1h = reader.ReadDouble();
        windows._sum24h = reader.ReadDouble();
        for (var seq = windows._start24h; seq < next; seq++)
        {
            ref var e = ref windows._events[(int)(seq & windows._mask)];
            e.Ticks = unchecked(referenceTicks - reader.ReadVarInt());
            e.Amount = reader.ReadDouble();
        }

        return windows;
    }

    private struct Event
    {
        public long Ticks;
        public double Amount;
    }
}
