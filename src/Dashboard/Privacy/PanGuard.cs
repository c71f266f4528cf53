using System.Text;
using FraudStream.Core.Identifiers;

namespace FraudStream.Dashboard.Privacy;

/// <summary>
/// Last line of defence before anything leaves the dashboard: callers mask card ids already, but a
/// value that still looks like a full card number (13–19 digits, optionally separated by spaces or
/// dashes, passing Luhn) is masked here, whether it is a whole field or a run inside free text.
/// </summary>
public static class PanGuard
{
    private const int MinPanDigits = 13;
    private const int MaxPanDigits = 19;

    /// <summary>For card fields: the whole value is masked when it is, or contains, something PAN-like.</summary>
    public static string Card(string? card)
    {
        if (string.IsNullOrEmpty(card))
        {
            return "";
        }

        return CardIdentifier.LooksLikePan(card) || ContainsPan(card) ? CardIdentifier.Mask(card) : card;
    }

    /// <summary>For free text (ids, reasons, messages): each PAN-like run is replaced by its mask.</summary>
    public static string Text(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        if (!ContainsPan(text))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            if (TryMatchPanAt(text, i, out var length))
            {
                sb.Append(CardIdentifier.Mask(text.Substring(i, length)));
                i += length;
            }
            else
            {
                sb.Append(text[i]);
                i++;
            }
        }

        return sb.ToString();
    }

    public static bool ContainsPan(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            if (TryMatchPanAt(text, i, out _))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Finds the longest digit run starting at <paramref name="start"/> (single spaces or dashes allowed
    /// between digits) whose prefix of 13–19 digits passes Luhn. Runs must not continue a longer number.
    /// </summary>
    private static bool TryMatchPanAt(string text, int start, out int length)
    {
        length = 0;
        if (!char.IsAsciiDigit(text[start]) || (start > 0 && char.IsAsciiDigit(text[start - 1])))
        {
            return false;
        }

        var digits = 0;
        var end = start;
        var best = 0;
        var i = start;
        while (i < text.Length && digits < MaxPanDigits)
        {
            var c = text[i];
            if (char.IsAsciiDigit(c))
            {
                digits++;
                end = i + 1;
                if (digits >= MinPanDigits && CardIdentifier.LooksLikePan(text.AsSpan(start, end - start)))
                {
                    best = end - start;
                }

                i++;
            }
            else if ((c is ' ' or '-') && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))
            {
                i++;
            }
            else
            {
                break;
            }
        }

        length = best;
        return best > 0;
    }
}
