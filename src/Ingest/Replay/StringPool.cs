using System.Text;

namespace FraudStream.Ingest.Replay;

/// <summary>
/// Reuses one string per distinct value (customers, merchants, categories repeat on every row), up
/// to a bound so a file of unique values cannot grow it without limit.
/// </summary>
internal sealed class StringPool
{
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _capacity;

    public StringPool(int capacity)
    {
        _capacity = capacity;
        _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > 128)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        Span<char> chars = stackalloc char[128];
        var n = Encoding.UTF8.GetChars(utf8, chars);
        var span = chars[..n];
        if (_lookup.TryGetValue(span, out var existing))
        {
            return existing;
        }

        var created = span.ToString();
        if (_strings.Count < _capacity)
        {
            _strings.Add(created, created);
        }

        return created;
    }
}
