using System.Text;

namespace FraudStream.Core.Identifiers;

/// <summary>
/// Card ids are opaque identifiers. A card number sent in their place (or in any other text field) is replaced by its
/// token before the service uses it (<see cref="PanTokenizer"/>); this is what is shown of a card id.
/// </summary>
public static class CardIdentifier
{
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
}
