namespace FraudStream.Core.Contracts;

/// <summary>
/// JSON can carry text no store accepts: <c>\u0000</c> (PostgreSQL rejects NUL in text) and unpaired surrogates
/// (not encodable as UTF-8). Such values are rejected at the contract, so one message can never wedge a batch
/// that retries forever; the dead-letter detail quotes values through <see cref="Sanitize"/>.
/// </summary>
public static class StorableText
{
    /// <summary>No control characters (U+0000–U+001F, U+007F) and no unpaired surrogates.</summary>
    public static bool IsClean(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < ' ' || c == '\u007f')
            {
                return false;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The text with every character <see cref="IsClean"/> refuses replaced by U+FFFD.</summary>
    public static string Sanitize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsClean(text))
        {
            return text;
        }

        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            if (char.IsHighSurrogate(c) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (c < ' ' || c == '\u007f' || char.IsSurrogate(c))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }
}
