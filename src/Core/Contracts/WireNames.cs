using System.Text;
using System.Text.Json;

namespace FraudStream.Core.Contracts;

/// <summary>
/// The wire names of a small enum, indexed by its numeric value, kept in the two forms the contracts need:
/// strings (store columns, rules, CLI) and UTF-8 (JSON, compared and written without transcoding on the hot
/// path). A value without a name (<c>null</c>) is one the wire leaves out.
/// </summary>
internal sealed class WireNames
{
    private readonly string?[] _names;
    private readonly byte[][] _utf8;

    public WireNames(params string?[] namesByValue)
    {
        _names = namesByValue;
        _utf8 = Array.ConvertAll(namesByValue, static name => name is null ? [] : Encoding.UTF8.GetBytes(name));
        var named = Array.FindAll(namesByValue, static name => name is not null);
        Listed = named.Length < 2 ? string.Concat(named) : string.Join(", ", named[..^1]) + " or " + named[^1];
    }

    /// <summary>The names for a message, e.g. <c>pos, ecom or atm</c>.</summary>
    public string Listed { get; }

    /// <summary>The name of a value; null when it has none or is out of range.</summary>
    public string? Name(int value) => (uint)value < (uint)_names.Length ? _names[value] : null;

    /// <summary>The UTF-8 name of a value; empty when it has none or is out of range.</summary>
    public ReadOnlySpan<byte> Utf8(int value) => (uint)value < (uint)_utf8.Length ? _utf8[value] : [];

    public bool TryFind(string? text, out int value)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (_names[i] is { } name && string.Equals(name, text, StringComparison.Ordinal))
            {
                value = i;
                return true;
            }
        }

        value = 0;
        return false;
    }

    /// <summary>Matches unescaped UTF-8 text against the names.</summary>
    public bool TryFind(ReadOnlySpan<byte> utf8, out int value)
    {
        for (var i = 0; i < _utf8.Length; i++)
        {
            if (_names[i] is not null && utf8.SequenceEqual(_utf8[i]))
            {
                value = i;
                return true;
            }
        }

        value = 0;
        return false;
    }

    /// <summary>Matches the reader's current string token (escaped or not) against the names, without allocating.</summary>
    public bool TryFind(ref Utf8JsonReader reader, out int value)
    {
        for (var i = 0; i < _utf8.Length; i++)
        {
            if (_names[i] is not null && reader.ValueTextEquals(_utf8[i]))
            {
                value = i;
                return true;
            }
        }

        value = 0;
        return false;
    }
}
