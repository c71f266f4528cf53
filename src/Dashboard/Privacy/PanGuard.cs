using System.Text;
using FraudStream.Core.Identifiers;

namespace FraudStream.Dashboard.Privacy;

/// <summary>
/// Last line of defence before anything leaves the dashboard: the service stores tokens, not card numbers, but a
/// value that still holds one (as <see cref="Pans"/> finds them) is masked here, whether it is a whole field or a run
/// inside free text.
/// </summary>
public static class PanGuard
{
    /// <summary>For card fields: the whole value is masked when it is, or contains, something PAN-like.</summary>
    public static string Card(string? card)
    {
        if (string.IsNullOrEmpty(card))
        {
            return "";
        }

        return Pans.Contains(card) ? CardIdentifier.Mask(card) : card;
    }

    /// <summary>For free text (ids, reasons, messages): each PAN-like run is replaced by its mask.</summary>
    public static string Text(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        if (!Pans.MayContain(text.AsSpan()) || !Pans.TryFind(text.AsSpan(), 0, out var start, out var end, out _))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        var copied = 0;
        do
        {
            sb.Append(text, copied, start - copied);
            sb.Append(CardIdentifier.Mask(text[start..end]));
            copied = end;
        }
        while (Pans.TryFind(text.AsSpan(), end, out start, out end, out _));

        sb.Append(text, copied, text.Length - copied);
        return sb.ToString();
    }

    public static bool ContainsPan(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Pans.Contains(text);
    }
}
