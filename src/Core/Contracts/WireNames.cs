using System.Text;
using System.Text.Json;

namespace FraudStream.Core.Contracts;

/// <summary>
/// The wire names of a small enum, kept in the two forms the contracts need: strings (store columns, rules, CLI) and
/// UTF-8 (JSON, compared and written without transcoding on the hot path). A value without a name (<c>null</c>) is one
/// the wire leaves out. Lookups are linear: these enums have a handful of values.
/// </summary>
internal sealed class WireNames<TEnum>
    where TEnum : struct, Enum
{
    private readonly TEnum[] _values;
    private readonly string?[] _names;
    private readonly byte[][] _utf8;

    public WireNames(params ReadOnlySpan<(TEnum Value, string? Name)> entries)
    {
        _values = new TEnum[entries.Length];
        _names = new string?[entries.Length];
        _utf8 = new byte[entries.Length][];
        var named = new List<string>(entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            (_values[i], _names[i]) = entries[i];
            _utf8[i] = entries[i].Name is { } name ? Encoding.UTF8.GetBytes(name) : [];
            if (entries[i].Name is { } listed)
            {
                named.Add(listed);
            }
        }

        Listed = named.Count < 2 ? string.Concat(named) : string.Join(", ", named[..^1]) + " or " + named[^1];
    }

    /// <summary>The names for a message, e.g. <c>pos, ecom or atm</c>.</summary>
    public string Listed { get; }

    /// <summary>The name of a value; null when it has none.</summary>
    public string? Name(TEnum value) => IndexOf(value) is var i and >= 0 ? _names[i] : null;

    /// <summary>The UTF-8 name of a value; empty when it has none.</summary>
    public ReadOnlySpan<byte> Utf8(TEnum value) => IndexOf(value) is var i and >= 0 ? _utf8[i] : [];

    public bool TryFind(string? text, out TEnum value)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (_names[i] is { } name && string.Equals(name, text, StringComparison.Ordinal))
            {
                return Found(i, out value);
            }
        }

        return NotFound(out value);
    }

    /// <summary>Matches the reader's current string token (escaped or not) against the names, without allocating.</summary>
    public bool TryFind(ref Utf8JsonReader reader, out TEnum value)
    {
        for (var i = 0; i < _utf8.Length; i++)
        {
            if (_names[i] is not null && reader.ValueTextEquals(_utf8[i]))
            {
                return Found(i, out value);
            }
        }

        return NotFound(out value);
    }

    private int IndexOf(TEnum value)
    {
        for (var i = 0; i < _values.Length; i++)
        {
            if (EqualityComparer<TEnum>.Default.Equals(_values[i], value))
            {
                return i;
            }
        }

        return -1;
    }

    private bool Found(int index, out TEnum value)
    {
        value = _values[index];
        return true;
    }

    private static bool NotFound(out TEnum value)
    {
        value = default;
        return false;
    }
}
