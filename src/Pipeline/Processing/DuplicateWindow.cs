namespace FraudStream.Pipeline.Processing;

/// <summary>
/// Ids decided recently by one worker, in a set with FIFO eviction, plus a read-only seed of ids the
/// store already holds (loaded at start, so redeliveries after a restart are recognised too).
/// Single-threaded: each worker owns one, and a card (so a transaction) always lands on one worker.
/// </summary>
internal sealed class DuplicateWindow
{
    private readonly HashSet<string> _recent;
    private readonly string[] _ring;
    private readonly IReadOnlySet<string> _seed;
    private int _next;
    private int _count;

    public DuplicateWindow(int capacity, IReadOnlySet<string> seed)
    {
        _recent = new HashSet<string>(capacity, StringComparer.Ordinal);
        _ring = new string[capacity];
        _seed = seed;
    }

    /// <summary>True when <paramref name="id"/> was already decided; otherwise remembers it and returns false.</summary>
    public bool SeenBefore(string id)
    {
        if (_seed.Contains(id) || !_recent.Add(id))
        {
            return true;
        }

        if (_count == _ring.Length)
        {
            _recent.Remove(_ring[_next]);
        }
        else
        {
            _count++;
        }

        _ring[_next] = id;
        _next = (_next + 1) % _ring.Length;
        return false;
    }
}
