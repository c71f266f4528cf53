using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
using FraudStream.Core.Identifiers;

namespace FraudStream.Core.Contracts;

/// <summary>
/// Reads and writes the <c>transactions</c> contract. Parsing never throws for bad input: it returns
/// a <see cref="ParseError"/> that the consumer turns into a dead-letter record.
/// </summary>
public static class TransactionJson
{
    public const int MaxPayloadBytes = 64 * 1024;

    private const int MaxIdLength = 256;

    public static bool TryParse(ReadOnlySpan<byte> utf8, Transaction into, out ParseError error)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (utf8.Length > MaxPayloadBytes)
        {
            error = new(DeadLetterReason.PayloadTooLarge, $"payload is {utf8.Length} bytes; the limit is {MaxPayloadBytes}");
            return false;
        }

        if (!Utf8.IsValid(utf8))
        {
            error = new(DeadLetterReason.InvalidUtf8, "payload is not valid UTF-8");
            return false;
        }

        into.Reset();
        try
        {
            return TryRead(utf8, into, out error);
        }
        catch (JsonException ex)
        {
            // Only reached for malformed documents (truncated, bad tokens): the rare, non-hot path.
            error = new(DeadLetterReason.InvalidJson, $"invalid JSON at byte {ex.BytePositionInLine}: {FirstLine(ex.Message)}");
            return false;
        }
        catch (InvalidOperationException ex)
        {
            // System.Text.Json refuses to decode an escaped unpaired surrogate ("\ud800"): no store could keep it.
            error = new(DeadLetterReason.InvalidValue, $"a string is not valid UTF-16: {FirstLine(ex.Message)}");
            return false;
        }
    }

    private static bool TryRead(ReadOnlySpan<byte> utf8, Transaction tx, out ParseError error)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 16 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = new(DeadLetterReason.NotAnObject, "payload is not a JSON object");
            return false;
        }

        bool hasId = false, hasTs = false, hasCard = false, hasMerchant = false, hasCategory = false;
        bool hasAmount = false, hasCurrency = false, hasCountry = false;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            // Property name, then its value.
            var name = reader.ValueSpan;
            var escaped = reader.ValueIsEscaped;
            reader.Read();
            if (escaped)
            {
                reader.Skip();
                continue;
            }

            if (name.SequenceEqual("id"u8))
            {
                if (!ReadRequiredString(ref reader, "id", MaxIdLength, out var id, out error))
                {
                    return false;
                }

                tx.Id = id;
                hasId = true;
            }
            else if (name.SequenceEqual("ts"u8))
            {
                if (reader.TokenType != JsonTokenType.String)
                {
                    error = WrongType("ts", "an RFC 3339 string", reader.TokenType);
                    return false;
                }

                if (!reader.TryGetDateTimeOffset(out var ts))
                {
                    error = new(DeadLetterReason.InvalidTimestamp, "ts is not an RFC 3339 date-time");
                    return false;
                }

                tx.Timestamp = ts.UtcDateTime;
                hasTs = true;
            }
            else if (name.SequenceEqual("card"u8))
            {
                if (!ReadRequiredString(ref reader, "card", MaxIdLength, out var card, out error))
                {
                    return false;
                }

                tx.Card = CardIdentifier.Normalize(card);
                hasCard = true;
            }
            else if (name.SequenceEqual("merchant"u8))
            {
                if (!ReadRequiredString(ref reader, "merchant", MaxIdLength, out var merchant, out error))
                {
                    return false;
                }

                tx.Merchant = merchant;
                hasMerchant = true;
            }
            else if (name.SequenceEqual("category"u8))
            {
                if (!ReadRequiredString(ref reader, "category", MaxIdLength, out var category, out error))
                {
                    return false;
                }

                tx.Category = category;
                hasCategory = true;
            }
            else if (name.SequenceEqual("amount"u8))
            {
                if (reader.TokenType != JsonTokenType.Number)
                {
                    error = WrongType("amount", "a number", reader.TokenType);
                    return false;
                }

                if (!reader.TryGetDecimal(out var amount))
                {
                    error = new(DeadLetterReason.InvalidValue, "amount is out of range");
                    return false;
                }

                if (amount <= 0)
                {
                    error = new(DeadLetterReason.NonPositiveAmount, "amount must be greater than zero");
                    return false;
                }

                tx.Amount = amount;
                hasAmount = true;
            }
            else if (name.SequenceEqual("currency"u8))
            {
                if (!ReadCode(ref reader, "currency", currency: true, out var code, out error))
                {
                    return false;
                }

                tx.Currency = code;
                hasCurrency = true;
            }
            else if (name.SequenceEqual("country"u8))
            {
                if (!ReadCode(ref reader, "country", currency: false, out var code, out error))
                {
                    return false;
                }

                tx.Country = code;
                hasCountry = true;
            }
            else if (name.SequenceEqual("lat"u8))
            {
                if (!ReadOptionalCoordinate(ref reader, "lat", 90, out var lat, out error))
                {
                    return false;
                }

                tx.Latitude = lat;
            }
            else if (name.SequenceEqual("lon"u8))
            {
                if (!ReadOptionalCoordinate(ref reader, "lon", 180, out var lon, out error))
                {
                    return false;
                }

                tx.Longitude = lon;
            }
            else if (name.SequenceEqual("device"u8))
            {
                if (reader.TokenType == JsonTokenType.Null)
                {
                    tx.Device = null;
                }
                else if (reader.TokenType == JsonTokenType.String)
                {
                    tx.Device = reader.GetString();
                    if (!StorableText.IsClean(tx.Device))
                    {
                        error = new(DeadLetterReason.InvalidValue, "device contains a control character or an unpaired surrogate");
                        return false;
                    }
                }
                else
                {
                    error = WrongType("device", "a string", reader.TokenType);
                    return false;
                }
            }
            else if (name.SequenceEqual("channel"u8))
            {
                if (reader.TokenType == JsonTokenType.Null)
                {
                    tx.Channel = PaymentChannel.Unknown;
                }
                else if (reader.TokenType != JsonTokenType.String)
                {
                    error = WrongType("channel", "a string", reader.TokenType);
                    return false;
                }
                else if (reader.ValueTextEquals("pos"u8))
                {
                    tx.Channel = PaymentChannel.Pos;
                }
                else if (reader.ValueTextEquals("ecom"u8))
                {
                    tx.Channel = PaymentChannel.Ecom;
                }
                else if (reader.ValueTextEquals("atm"u8))
                {
                    tx.Channel = PaymentChannel.Atm;
                }
                else
                {
                    error = new(DeadLetterReason.UnknownChannel, "channel must be pos, ecom or atm");
                    return false;
                }
            }
            else
            {
                reader.Skip();
            }
        }

        // Reaching here without the closing brace means the reader ran out of input.
        if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0)
        {
            error = new(DeadLetterReason.InvalidJson, "document is truncated");
            return false;
        }

        var missing = !hasId ? "id" : !hasTs ? "ts" : !hasCard ? "card" : !hasMerchant ? "merchant"
            : !hasCategory ? "category" : !hasAmount ? "amount" : !hasCurrency ? "currency" : !hasCountry ? "country" : null;
        if (missing is not null)
        {
            error = new(DeadLetterReason.MissingField, $"required field '{missing}' is missing");
            return false;
        }

        error = default;
        return true;
    }

    private static bool ReadRequiredString(ref Utf8JsonReader reader, string field, int maxLength, out string value, out ParseError error)
    {
        value = "";
        if (reader.TokenType != JsonTokenType.String)
        {
            error = reader.TokenType == JsonTokenType.Null
                ? new(DeadLetterReason.MissingField, $"required field '{field}' is null")
                : WrongType(field, "a string", reader.TokenType);
            return false;
        }

        value = reader.GetString()!;
        if (value.Length == 0 || value.Length > maxLength)
        {
            error = new(DeadLetterReason.InvalidValue, $"{field} must be 1 to {maxLength} characters");
            return false;
        }

        if (!StorableText.IsClean(value))
        {
            error = new(DeadLetterReason.InvalidValue, $"{field} contains a control character or an unpaired surrogate");
            return false;
        }

        error = default;
        return true;
    }

    private static bool ReadCode(ref Utf8JsonReader reader, string field, bool currency, out string code, out ParseError error)
    {
        code = "";
        if (reader.TokenType != JsonTokenType.String)
        {
            error = WrongType(field, "a string", reader.TokenType);
            return false;
        }

        Span<char> chars = stackalloc char[8];
        var ok = reader.ValueSpan.Length <= 8 && !reader.ValueIsEscaped;
        var n = 0;
        if (ok)
        {
            n = reader.CopyString(chars);
        }

        var span = chars[..n];
        var known = ok && (currency ? IsoCodes.TryGetCurrency(span, out code) : IsoCodes.TryGetCountry(span, out code));
        if (!known)
        {
            error = currency
                ? new(DeadLetterReason.UnknownCurrency, $"currency '{Printable(reader)}' is not an ISO 4217 code")
                : new(DeadLetterReason.UnknownCountry, $"country '{Printable(reader)}' is not an ISO 3166 alpha-2 code");
            return false;
        }

        error = default;
        return true;
    }

    private static bool ReadOptionalCoordinate(ref Utf8JsonReader reader, string field, double limit, out double value, out ParseError error)
    {
        value = double.NaN;
        if (reader.TokenType == JsonTokenType.Null)
        {
            error = default;
            return true;
        }

        if (reader.TokenType != JsonTokenType.Number)
        {
            error = WrongType(field, "a number", reader.TokenType);
            return false;
        }

        value = reader.GetDouble();
        if (!double.IsFinite(value) || value < -limit || value > limit)
        {
            error = new(DeadLetterReason.InvalidValue, $"{field} must be between -{limit} and {limit}");
            return false;
        }

        error = default;
        return true;
    }

    private static ParseError WrongType(string field, string expected, JsonTokenType actual) =>
        new(DeadLetterReason.WrongType, $"{field} must be {expected}, not {actual.ToString().ToLowerInvariant()}");

    private static string Printable(Utf8JsonReader reader)
    {
        var s = StorableText.Sanitize(reader.GetString() ?? "");
        return s.Length > 16 ? s[..16] + "…" : s;
    }

    private static string FirstLine(string message)
    {
        var i = message.IndexOf('\n', StringComparison.Ordinal);
        return i < 0 ? message : message[..i];
    }

    public static void Write(Utf8JsonWriter writer, Transaction tx)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(tx);
        writer.WriteStartObject();
        writer.WriteString("id"u8, tx.Id);
        writer.WriteString("ts"u8, DateTime.SpecifyKind(tx.Timestamp, DateTimeKind.Utc));
        writer.WriteString("card"u8, tx.Card);
        writer.WriteString("merchant"u8, tx.Merchant);
        writer.WriteString("category"u8, tx.Category);
        writer.WriteNumber("amount"u8, tx.Amount);
        writer.WriteString("currency"u8, tx.Currency);
        writer.WriteString("country"u8, tx.Country);
        if (tx.HasLocation)
        {
            writer.WriteNumber("lat"u8, Math.Round(tx.Latitude, 5));
            writer.WriteNumber("lon"u8, Math.Round(tx.Longitude, 5));
        }

        if (tx.Device is not null)
        {
            writer.WriteString("device"u8, tx.Device);
        }

        if (tx.Channel != PaymentChannel.Unknown)
        {
            writer.WriteString("channel"u8, tx.Channel switch
            {
                PaymentChannel.Pos => "pos"u8,
                PaymentChannel.Ecom => "ecom"u8,
                _ => "atm"u8,
            });
        }

        writer.WriteEndObject();
    }

    public static byte[] Serialize(Transaction tx)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, tx);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
