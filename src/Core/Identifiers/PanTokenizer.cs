using System.Security.Cryptography;
using System.Text;

namespace FraudStream.Core.Identifiers;

/// <summary>
/// Replaces every card number (<see cref="Pans"/>) in a text by its token, keyed by the deployment's secret: the same
/// PAN, however it is written, is the same token within a deployment (so a card keeps its features), and no PAN can be
/// recovered from tokens without the key — not even by trying every number with a known BIN and last four digits.
/// A token is <c>pan_</c> and the whole HMAC-SHA256 (256 bits), its hex digits written as letters (<c>a</c>–<c>p</c>)
/// so that a token never looks like a number to the next reader. Thread-safe; allocation-free for text without a PAN.
/// </summary>
public sealed class PanTokenizer
{
    public const string Prefix = "pan_";

    /// <summary>The shortest key accepted: a guessable key would make every token reversible again.</summary>
    public const int MinKeyLength = 32;

    private const int MacBytes = 32;

    private readonly byte[] _key;

    public PanTokenizer(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < MinKeyLength)
        {
            throw new ArgumentException($"the token key must be at least {MinKeyLength} characters", nameof(key));
        }

        _key = Encoding.UTF8.GetBytes(key);
    }

    /// <summary>A fresh random key, for a run whose tokens need not outlive it (the demo).</summary>
    public static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>Length of every token.</summary>
    public static int TokenLength => Prefix.Length + (MacBytes * 2);

    /// <summary>The text with each PAN replaced by its token; the same instance when it holds none.</summary>
    public string Protect(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var span = text.AsSpan();
        if (!Pans.MayContain(span) || !Pans.TryFind(span, 0, out var start, out var end, out _))
        {
            return text;
        }

        var result = new StringBuilder(text.Length + TokenLength);
        var copied = 0;
        do
        {
            result.Append(span[copied..start]);
            AppendToken(result, span, start, end);
            copied = end;
        }
        while (Pans.TryFind(span, end, out start, out end, out _));

        result.Append(span[copied..]);
        return result.ToString();
    }

    /// <summary>Every text field of the transaction that the service stores or produces, protected in place.</summary>
    public void Protect(Contracts.Transaction tx)
    {
        ArgumentNullException.ThrowIfNull(tx);
        tx.Id = Protect(tx.Id);
        tx.Card = Protect(tx.Card);
        tx.Merchant = Protect(tx.Merchant);
        tx.Category = Protect(tx.Category);
        tx.Device = tx.Device is null ? null : Protect(tx.Device);
    }

    private void AppendToken(StringBuilder into, ReadOnlySpan<char> text, int start, int end)
    {
        Span<byte> digits = stackalloc byte[Pans.MaxDigits];
        var n = Pans.CopyDigits(text, start, end, digits);
        Span<byte> mac = stackalloc byte[MacBytes];
        HMACSHA256.HashData(_key, digits[..n], mac);
        Span<char> token = stackalloc char[MacBytes * 2];
        for (var i = 0; i < MacBytes; i++)
        {
            token[2 * i] = (char)('a' + (mac[i] >> 4));
            token[(2 * i) + 1] = (char)('a' + (mac[i] & 0xF));
        }

        into.Append(Prefix).Append(token);
    }
}
