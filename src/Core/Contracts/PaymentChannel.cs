using System.Text.Json;

namespace FraudStream.Core.Contracts;

/// <summary>Payment channel of a transaction; <see cref="Unknown"/> when the producer did not say.</summary>
public enum PaymentChannel : byte
{
    Unknown = 0,
    Pos = 1,
    Ecom = 2,
    Atm = 3,
}

/// <summary>
/// The one mapping between <see cref="PaymentChannel"/> and its wire name (the transactions contract, the store's
/// channel column, rules). <see cref="PaymentChannel.Unknown"/> has no name: the field is left out, the column NULL.
/// </summary>
public static class PaymentChannelNames
{
    private static readonly WireNames<PaymentChannel> Names =
        new((PaymentChannel.Unknown, null), (PaymentChannel.Pos, "pos"), (PaymentChannel.Ecom, "ecom"), (PaymentChannel.Atm, "atm"));

    /// <summary>The names for a message: <c>pos, ecom or atm</c>.</summary>
    public static string Listed => Names.Listed;

    /// <summary>The wire name; null for <see cref="PaymentChannel.Unknown"/>.</summary>
    public static string? ToWire(this PaymentChannel channel) => Names.Name(channel);

    /// <summary>The UTF-8 wire name; empty for <see cref="PaymentChannel.Unknown"/>.</summary>
    public static ReadOnlySpan<byte> ToUtf8(this PaymentChannel channel) => Names.Utf8(channel);

    /// <summary>A known channel name; false (and <see cref="PaymentChannel.Unknown"/>) for anything else, null included.</summary>
    public static bool TryParse(string? text, out PaymentChannel channel) => Names.TryFind(text, out channel);

    /// <summary>A stored channel column back: its channel, or <see cref="PaymentChannel.Unknown"/> for NULL or an unknown name.</summary>
    public static PaymentChannel FromWire(string? text) => TryParse(text, out var channel) ? channel : PaymentChannel.Unknown;

    /// <summary>Reads the reader's current string token as a channel, without allocating.</summary>
    public static bool TryRead(ref Utf8JsonReader reader, out PaymentChannel channel) => Names.TryFind(ref reader, out channel);
}
