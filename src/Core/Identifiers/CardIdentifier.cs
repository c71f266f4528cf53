using System.Security.Cryptography;
using System.Text;

namespace FraudStream.Core.Identifiers;

/// <summary>
/// Card ids are opaque identifiers. If a producer ever sends something that looks like a full card
/// number (13–19 digits passing the Luhn check), it is replaced by a keyed hash so no PAN is stored,
/// logged or shown, while the same card still maps to the same id for its features.
/// </summary>
public static class CardIdentifier
{
    private static readonly byte[] HashKey = "fraudstream-card-token-v1"u8.ToArray();

    public static bool LooksLikePan(ReadOnlySpan<char> value)
    {
        var digits = 0;
        foreach (var c in value)
        {
            if (c is ' ' or '-')
            {
                continue;
            }

            if (c is < '0' or > '9')
            {
                return false;
            }

            digits++;
        }

        return digits is >= 13 and <= 19 && PassesLuhn(value);
    }

    /// <summary>Returns the value unchanged unless it looks like a PAN, in which case a stable token.</summary>
    public static string Normalize(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return LooksLikePan(value) ? Tokenize(value) : value;
    }

    public static string Tokenize(ReadOnlySpan<char> pan)
    {
        Span<byte> digits = stackalloc byte[32];
        var n = 0;
        foreach (var c in pan)
        {
            if (c is >= '0' and <= '9' && n < digits.Length)
            {
                digits[n++] = (byte)c;
            }
        }

        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(HashKey, digits[..n], mac);
        return "pan_" + Convert.ToHexStringLower(mac[..10]);
    }

    /// <summary>For display: keeps the last four characters, masks the rest.</summary>
    public static string Mask(string? card)
    {
        if (string.IsNullOrEmpty(card))
        {
            return "";
        }

        var keep = Math.Min(4, card.Length / 2);
        var sb = new StringBuilder(card.Length);
        sb.Append('•', 4);
        sb.Append(card.AsSpan(card.Length - keep));
        return sb.ToString();
    }

    private static bool PassesLuhn(ReadOnlySpan<char> value)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = value.Length - 1; i >= 0; i--)
        {
            var c = value[i];
            if (c is < '0' or > '9')
            {
                continue;
            }

            var d = c - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return sum % 10 == 0;
    }
}
