using System.Numerics;

namespace FraudStream.Core.Identifiers;

/// <summary>
/// Finds card numbers (PANs) in text and in raw UTF-8: 13–19 digits passing the Luhn check, written plain or with a
/// single space, dash or dot between digits, alone or inside other text ("PAN 4111…", "card_4111…"), and digits
/// written as JSON escapes (<c>\u0034</c>) too. A number starts at a digit that follows no digit (or where the previous
/// one ended); its longest prefix of 13–19 digits that passes Luhn is the PAN, so a PAN followed by more digits is
/// found, while a longer number whose prefixes fail Luhn is left alone. Text with fewer than 13 ASCII digits is never
/// scanned further: ordinary values cost one pass and no allocation.
/// </summary>
public static class Pans
{
    public const int MinDigits = 13;
    public const int MaxDigits = 19;

    /// <summary>What a masked digit becomes.</summary>
    public const char MaskCharacter = '*';

    /// <summary>Digits left visible at the end of a masked PAN (as on a receipt).</summary>
    public const int VisibleDigits = 4;

    /// <summary>
    /// False when <paramref name="text"/> cannot hold a PAN (fewer than 13 ASCII digits, counting those inside escapes);
    /// the cheap test before any scan.
    /// </summary>
    public static bool MayContain<T>(ReadOnlySpan<T> text)
        where T : unmanaged, IBinaryInteger<T>
    {
        var digits = 0;
        foreach (var unit in text)
        {
            if (uint.CreateTruncating(unit) - '0' <= 9 && ++digits >= MinDigits)
            {
                return true;
            }
        }

        return false;
    }

    public static bool Contains(ReadOnlySpan<char> text) => MayContain(text) && TryFind(text, 0, out _, out _, out _);

    /// <summary>
    /// The first PAN at or after <paramref name="from"/>: <paramref name="start"/> is its first digit,
    /// <paramref name="end"/> just past its last, <paramref name="digits"/> how many digits it has.
    /// </summary>
    public static bool TryFind<T>(ReadOnlySpan<T> text, int from, out int start, out int end, out int digits)
        where T : unmanaged, IBinaryInteger<T>
    {
        var i = from;
        while (i < text.Length)
        {
            if (DigitAt(text, i, out var width) < 0)
            {
                i++;
                continue;
            }

            if ((i == from || !EndsWithDigit(text, i)) && TryMatchAt(text, i, out end, out digits))
            {
                start = i;
                return true;
            }

            i += width;
        }

        start = end = digits = 0;
        return false;
    }

    /// <summary>The text with each PAN's digits masked but the last four; the same instance when it holds none.</summary>
    public static string Mask(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!MayContain(text.AsSpan()) || !TryFind(text.AsSpan(), 0, out _, out _, out _))
        {
            return text;
        }

        var chars = text.ToCharArray();
        Mask(chars.AsSpan());
        return new string(chars);
    }

    /// <summary>Masks each PAN in place, digit by digit (an escaped digit stays an escape), so the rest is kept as sent.</summary>
    public static void Mask<T>(Span<T> text)
        where T : unmanaged, IBinaryInteger<T>
    {
        if (!MayContain<T>(text))
        {
            return;
        }

        var from = 0;
        while (TryFind<T>(text, from, out var start, out var end, out var digits))
        {
            var masked = 0;
            for (var i = start; i < end && masked < digits - VisibleDigits;)
            {
                if (DigitAt<T>(text, i, out var width) < 0)
                {
                    i++;
                    continue;
                }

                MaskDigit(text, i, width);
                masked++;
                i += width;
            }

            from = end;
        }
    }

    /// <summary>
    /// The fewest digits a number cut off by the end of the text must have to be masked by <see cref="MaskCutNumber"/>:
    /// as many as the shortest card number without its last four.
    /// </summary>
    public const int CutNumberDigits = MinDigits - VisibleDigits;

    /// <summary>
    /// Masks every digit of the number the text ends in (plain or escaped digits, single separators), when it has at
    /// least <see cref="CutNumberDigits"/> digits. For a message cut short (a truncated dead letter): its last number may
    /// be the start of a card number, which no Luhn check can recognise once digits are missing. A complete document
    /// never ends in a digit (JSON closes its object), so only cut or garbled text is touched.
    /// </summary>
    public static void MaskCutNumber<T>(Span<T> text)
        where T : unmanaged, IBinaryInteger<T>
    {
        var start = text.Length;
        var digits = 0;
        while (start > 0)
        {
            if (start >= 6 && DigitAt<T>(text, start - 6, out var width) >= 0 && width == 6)
            {
                start -= 6;
                digits++;
            }
            else if (uint.CreateTruncating(text[start - 1]) - '0' <= 9)
            {
                start--;
                digits++;
            }
            else if ((digits > 0 || start == text.Length) && start >= 2 && IsSeparator(uint.CreateTruncating(text[start - 1]))
                && uint.CreateTruncating(text[start - 2]) - '0' <= 9)
            {
                start--; // a single separator after a digit: between two, or the last character (cut after it)
            }
            else
            {
                break;
            }
        }

        if (digits < CutNumberDigits)
        {
            return;
        }

        for (var i = start; i < text.Length;)
        {
            if (DigitAt<T>(text, i, out var width) < 0)
            {
                i++;
                continue;
            }

            MaskDigit(text, i, width);
            i += width;
        }
    }

    private static void MaskDigit<T>(Span<T> text, int at, int width)
        where T : unmanaged, IBinaryInteger<T>
    {
        if (width == 1)
        {
            text[at] = T.CreateTruncating((int)MaskCharacter);
        }
        else
        {
            // \u003X becomes \u002a: the mask character, still an escape of the same length.
            text[at + 4] = T.CreateTruncating((int)'2');
            text[at + 5] = T.CreateTruncating((int)'a');
        }
    }

    /// <summary>Writes the PAN's digits (as ASCII) into <paramref name="into"/>; returns how many.</summary>
    public static int CopyDigits<T>(ReadOnlySpan<T> text, int start, int end, Span<byte> into)
        where T : unmanaged, IBinaryInteger<T>
    {
        var n = 0;
        for (var i = start; i < end;)
        {
            var d = DigitAt(text, i, out var width);
            if (d < 0)
            {
                i++;
                continue;
            }

            into[n++] = (byte)('0' + d);
            i += width;
        }

        return n;
    }

    /// <summary>The longest run of 13–19 digits from <paramref name="at"/> that passes Luhn (single separators allowed).</summary>
    private static bool TryMatchAt<T>(ReadOnlySpan<T> text, int at, out int end, out int digits)
        where T : unmanaged, IBinaryInteger<T>
    {
        Span<byte> values = stackalloc byte[MaxDigits];
        Span<int> ends = stackalloc int[MaxDigits];
        var n = 0;
        var i = at;
        while (n < MaxDigits && i < text.Length)
        {
            var d = DigitAt(text, i, out var width);
            if (d >= 0)
            {
                values[n] = (byte)d;
                i += width;
                ends[n++] = i;
            }
            else if (IsSeparator(uint.CreateTruncating(text[i])) && i + 1 < text.Length && DigitAt(text, i + 1, out _) >= 0)
            {
                i++;
            }
            else
            {
                break;
            }
        }

        for (var length = n; length >= MinDigits; length--)
        {
            if (PassesLuhn(values[..length]))
            {
                end = ends[length - 1];
                digits = length;
                return true;
            }
        }

        end = digits = 0;
        return false;
    }

    /// <summary>The digit at <paramref name="i"/> (0–9) and its width (1, or 6 for <c>\u0030</c>–<c>\u0039</c>); -1 when none.</summary>
    private static int DigitAt<T>(ReadOnlySpan<T> text, int i, out int width)
        where T : unmanaged, IBinaryInteger<T>
    {
        var c = uint.CreateTruncating(text[i]);
        if (c - '0' <= 9)
        {
            width = 1;
            return (int)(c - '0');
        }

        if (c == '\\' && i + 5 < text.Length && uint.CreateTruncating(text[i + 1]) == 'u' && uint.CreateTruncating(text[i + 2]) == '0'
            && uint.CreateTruncating(text[i + 3]) == '0' && uint.CreateTruncating(text[i + 4]) == '3' && uint.CreateTruncating(text[i + 5]) - '0' <= 9)
        {
            width = 6;
            return (int)(uint.CreateTruncating(text[i + 5]) - '0');
        }

        width = 0;
        return -1;
    }

    /// <summary>Whether the unit before <paramref name="i"/> ends a digit (so <paramref name="i"/> continues a number).</summary>
    private static bool EndsWithDigit<T>(ReadOnlySpan<T> text, int i)
        where T : unmanaged, IBinaryInteger<T> =>
        i > 0 && uint.CreateTruncating(text[i - 1]) - '0' <= 9;

    private static bool IsSeparator(uint c) => c is ' ' or '-' or '.';

    private static bool PassesLuhn(ReadOnlySpan<byte> digits)
    {
        var sum = 0;
        for (var k = 0; k < digits.Length; k++)
        {
            int d = digits[digits.Length - 1 - k];
            if ((k & 1) == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }
}
