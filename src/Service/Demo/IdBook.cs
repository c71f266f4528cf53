using System.Globalization;

namespace FraudStream.Service.Demo;

/// <summary>
/// A value per transaction id for the demo's own bookkeeping (truth, decisions read back), a few bytes per id: the
/// simulator's ids are a prefix and a sequence number (<c>tx-42-1234</c>), so each prefix gets an array indexed by the
/// number; any other id goes to a dictionary. A string-keyed dictionary held about 170 bytes per id: 500 MB of a
/// 10-minute run at 5k tx/s, which was most of the demo process's growth, not the service's.
/// </summary>
internal sealed class IdBook<T>
    where T : struct
{
    private const int MaxIndex = 1 << 30;

    private readonly Dictionary<string, Segment> _segments = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Segment>.AlternateLookup<ReadOnlySpan<char>> _segmentsBySpan;
    private readonly Dictionary<string, T> _other = new(StringComparer.Ordinal);

    private readonly int _initialLength;

    /// <param name="expected">Ids expected under one prefix (the first array's length; it grows past it).</param>
    public IdBook(int expected = 1024)
    {
        _initialLength = Math.Clamp(expected, 16, MaxIndex);
        _segmentsBySpan = _segments.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count { get; private set; }

    public bool TryGetValue(string id, out T value)
    {
        if (Split(id, out var prefix, out var index))
        {
            if (_segmentsBySpan.TryGetValue(prefix, out var segment) && index < segment.Values.Length && segment.Has[index])
            {
                value = segment.Values[index];
                return true;
            }

            value = default;
            return false;
        }

        return _other.TryGetValue(id, out value);
    }

    public void Set(string id, T value)
    {
        if (!Split(id, out var prefix, out var index))
        {
            if (_other.TryAdd(id, value))
            {
                Count++;
            }
            else
            {
                _other[id] = value;
            }

            return;
        }

        if (!_segmentsBySpan.TryGetValue(prefix, out var segment))
        {
            segment = new Segment { Values = new T[_initialLength], Has = new bool[_initialLength] };
            _segments.Add(prefix.ToString(), segment);
        }

        if (index >= segment.Values.Length)
        {
            var length = Math.Max(index + 1, segment.Values.Length * 2);
            Array.Resize(ref segment.Values, length);
            Array.Resize(ref segment.Has, length);
        }

        if (!segment.Has[index])
        {
            segment.Has[index] = true;
            Count++;
        }

        segment.Values[index] = value;
    }

    /// <summary>Every id and its value (ids rebuilt from prefix and number: for the report, not a hot path).</summary>
    public IEnumerable<(string Id, T Value)> All()
    {
        foreach (var (prefix, segment) in _segments)
        {
            for (var i = 0; i < segment.Values.Length; i++)
            {
                if (segment.Has[i])
                {
                    yield return (prefix + i.ToString(CultureInfo.InvariantCulture), segment.Values[i]);
                }
            }
        }

        foreach (var (id, value) in _other)
        {
            yield return (id, value);
        }
    }

    public IdBook<T> Copy()
    {
        var copy = new IdBook<T>(_initialLength);
        foreach (var (prefix, segment) in _segments)
        {
            copy._segments.Add(prefix, new Segment { Values = (T[])segment.Values.Clone(), Has = (bool[])segment.Has.Clone() });
        }

        foreach (var (id, value) in _other)
        {
            copy._other.Add(id, value);
        }

        copy.Count = Count;
        return copy;
    }

    /// <summary>A prefix ending in '-' and a canonical decimal number after it (no sign, no leading zero), below <see cref="MaxIndex"/>.</summary>
    private static bool Split(string id, out ReadOnlySpan<char> prefix, out int index)
    {
        var dash = id.LastIndexOf('-');
        var digits = id.AsSpan(dash + 1);
        prefix = id.AsSpan(0, dash + 1);
        index = 0;
        if (dash < 0 || digits.Length is 0 or > 9 || (digits[0] == '0' && digits.Length > 1))
        {
            return false;
        }

        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            index = (index * 10) + (c - '0');
        }

        return index < MaxIndex;
    }

    private sealed class Segment
    {
        public required T[] Values;
        public required bool[] Has;
    }
}
