using System.Runtime.InteropServices;

namespace FraudStream.Core.Contracts;

/// <summary>
/// A decision's reasons as the store keeps them: one text column, joined with <see cref="Separator"/> (rule and
/// feature names never contain it). Joined and split only here, so the column has one definition.
/// </summary>
public static class StoredReasons
{
    public const char Separator = '|';

    /// <summary>The column text; empty for no reasons.</summary>
    public static string Join(List<string> reasons)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        return reasons.Count == 0 ? "" : string.Join(Separator, CollectionsMarshal.AsSpan(reasons));
    }

    /// <summary>The reasons back from the column text; none for empty or NULL.</summary>
    public static string[] Split(string? joined) => string.IsNullOrEmpty(joined) ? [] : joined.Split(Separator);
}
