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

    /// <summary>
    /// The largest amount the store can hold: the <c>decisions.amount</c> column is NUMERIC(18, 2) in PostgreSQL
    /// (16 digits before the point). A larger one would fail its whole batch; it is refused here instead.
    /// </summary>
    public const decimal MaxAmount = 9_999_999_999_999_999.99m;

    /// <summary>The longest text field (id, card, merchant, category, device), in characters as sent.</summary>
    private const int MaxTextLength = 256;

    /// <summary>The longest field name ("merchant", "category": 8 characters) with every character escaped (\uXXXX).</summary>
    private const int MaxEscapedNameBytes = 8 * 6;

    private static readonly string AmountOutOfRangeDetail = $"amount must be at most {MaxAmount.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    private static readonly string UnknownChannelDetail = "channel must be " + PaymentChannelNames.Listed;

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

    /// <summary>The contract's fields; <see cref="Field.Id"/> to <see cref="LastRequired"/> are required, checked in that order.</summary>
    private enum Field : byte
    {
        Other,
        Id,
        Ts,
        Card,
        Merchant,
        Category,
        Amount,
        Currency,
        Country,
        Lat,
        Lon,
        Device,
        Channel,
    }

    private const Field LastRequired = Field.Country;

    /// <summary>The fields' names on the wire (writing, messages); <see cref="FieldOf"/> reads the same names as literals.</summary>
    private static readonly WireNames<Field> FieldNames = new(
        (Field.Other, null), (Field.Id, "id"), (Field.Ts, "ts"), (Field.Card, "card"), (Field.Merchant, "merchant"),
        (Field.Category, "category"), (Field.Amount, "amount"), (Field.Currency, "currency"), (Field.Country, "country"),
        (Field.Lat, "lat"), (Field.Lon, "lon"), (Field.Device, "device"), (Field.Channel, "channel"));

    private static bool TryRead(ReadOnlySpan<byte> utf8, Transaction tx, out ParseError error)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 16 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = new(DeadLetterReason.NotAnObject, "payload is not a JSON object");
            return false;
        }

        var seen = 0u;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            // Property name, then its value. A field named twice is refused: readers of the same bytes disagree on
            // which one counts (the last, the first, or an error), so `"amount":5000,…,"amount":1` would be decided
            // on a value another system does not see. An escaped name ("\u0061mount") is the same field.
            var field = reader.ValueIsEscaped ? EscapedFieldOf(ref reader) : FieldOf(reader.ValueSpan);
            if (field != Field.Other && (seen & Bit(field)) != 0)
            {
                error = new(DeadLetterReason.DuplicateField, $"field '{NameOf(field)}' appears more than once");
                return false;
            }

            reader.Read();
            if (!ReadField(ref reader, field, tx, out error))
            {
                return false;
            }

            seen |= Bit(field);
        }

        // Reaching here without the closing brace means the reader ran out of input.
        if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0)
        {
            error = new(DeadLetterReason.InvalidJson, "document is truncated");
            return false;
        }

        // Only whitespace may follow the object: `{…} x` or a second object is not one document, and another reader
        // would refuse it or read the second one. Checked on the bytes (the reader would throw).
        if (utf8[(int)reader.BytesConsumed..].IndexOfAnyExcept(" \t\r\n"u8) >= 0)
        {
            error = new(DeadLetterReason.InvalidJson, "content after the object");
            return false;
        }

        return HasRequired(seen, out error);
    }

    /// <summary>
    /// The field a property name denotes. Compared with literals, in the order producers write them: the JIT unrolls a
    /// comparison with a constant, which a table lookup would not (this runs for every property of every message).
    /// </summary>
    private static Field FieldOf(ReadOnlySpan<byte> name) =>
        name.SequenceEqual("id"u8) ? Field.Id
        : name.SequenceEqual("ts"u8) ? Field.Ts
        : name.SequenceEqual("card"u8) ? Field.Card
        : name.SequenceEqual("merchant"u8) ? Field.Merchant
        : name.SequenceEqual("category"u8) ? Field.Category
        : name.SequenceEqual("amount"u8) ? Field.Amount
        : name.SequenceEqual("currency"u8) ? Field.Currency
        : name.SequenceEqual("country"u8) ? Field.Country
        : name.SequenceEqual("lat"u8) ? Field.Lat
        : name.SequenceEqual("lon"u8) ? Field.Lon
        : name.SequenceEqual("device"u8) ? Field.Device
        : name.SequenceEqual("channel"u8) ? Field.Channel
        : Field.Other;

    /// <summary>
    /// The field an escaped property name denotes, unescaped on the stack: rare, and no field name is longer than
    /// <see cref="MaxEscapedNameBytes"/> bytes escaped (a longer name cannot be one).
    /// </summary>
    private static Field EscapedFieldOf(ref Utf8JsonReader reader)
    {
        if (reader.ValueSpan.Length > MaxEscapedNameBytes)
        {
            return Field.Other;
        }

        Span<byte> name = stackalloc byte[MaxEscapedNameBytes];
        return FieldOf(name[..reader.CopyString(name)]);
    }

    private static uint Bit(Field field) => 1u << (int)field;

    private static string NameOf(Field field) => FieldNames.Name(field)!;

    private static ReadOnlySpan<byte> Utf8Name(Field field) => FieldNames.Utf8(field);

    private static bool ReadField(ref Utf8JsonReader reader, Field field, Transaction tx, out ParseError error)
    {
        switch (field)
        {
            case Field.Id or Field.Card or Field.Merchant or Field.Category:
                return ReadIdentifier(ref reader, field, tx, out error);
            case Field.Ts:
                return ReadTimestamp(ref reader, tx, out error);
            case Field.Amount:
                return ReadAmount(ref reader, tx, out error);
            case Field.Currency or Field.Country:
                return ReadCode(ref reader, field, tx, out error);
            case Field.Lat or Field.Lon:
                return ReadCoordinate(ref reader, field, tx, out error);
            case Field.Device:
                return ReadDevice(ref reader, tx, out error);
            case Field.Channel:
                return ReadChannel(ref reader, tx, out error);
            default:
                reader.Skip();
                error = default;
                return true;
        }
    }

    private static bool HasRequired(uint seen, out ParseError error)
    {
        for (var field = Field.Id; field <= LastRequired; field++)
        {
            if ((seen & Bit(field)) == 0)
            {
                error = new(DeadLetterReason.MissingField, $"required field '{NameOf(field)}' is missing");
                return false;
            }
        }

        error = default;
        return true;
    }

    /// <summary>Id, card, merchant, category: required, non-empty, storable; as sent (the service replaces card numbers by tokens).</summary>
    private static bool ReadIdentifier(ref Utf8JsonReader reader, Field field, Transaction tx, out ParseError error)
    {
        if (!ReadRequiredString(ref reader, NameOf(field), MaxTextLength, out var value, out error))
        {
            return false;
        }

        switch (field)
        {
            case Field.Id: tx.Id = value; break;
            case Field.Card: tx.Card = value; break;
            case Field.Merchant: tx.Merchant = value; break;
            default: tx.Category = value; break;
        }

        return true;
    }

    private static bool ReadTimestamp(ref Utf8JsonReader reader, Transaction tx, out ParseError error)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            error = WrongType("ts", "an RFC 3339 string", reader.TokenType);
            return false;
        }

        if ((!reader.ValueIsEscaped && OffsetLeavesRange(reader.ValueSpan)) || !reader.TryGetDateTimeOffset(out var ts))
        {
            error = new(DeadLetterReason.InvalidTimestamp, "ts is not an RFC 3339 date-time");
            return false;
        }

        tx.Timestamp = ts.UtcDateTime;
        error = default;
        return true;
    }

    /// <summary>
    /// A time on the first representable day with a positive offset, or on the last with a negative one: its UTC time
    /// may lie outside DateTime's range, and the reader then throws and catches an exception inside
    /// <c>TryGetDateTimeOffset</c>, one per message (found by the hostile corpus). Refused before it is read; a
    /// transaction dated 0001-01-01 or 9999-12-31 with such an offset is not one anyway.
    /// </summary>
    private static bool OffsetLeavesRange(ReadOnlySpan<byte> ts)
    {
        byte sign;
        if (ts.StartsWith("0001-01-01"u8))
        {
            sign = (byte)'+';
        }
        else if (ts.StartsWith("9999-12-31"u8))
        {
            sign = (byte)'-';
        }
        else
        {
            return false;
        }

        var at = ts.LastIndexOf(sign);
        return at > 10 && ts[(at + 1)..].IndexOfAnyInRange((byte)'1', (byte)'9') >= 0;
    }

    private static bool ReadAmount(ref Utf8JsonReader reader, Transaction tx, out ParseError error)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            error = WrongType("amount", "a number", reader.TokenType);
            return false;
        }

        if (!reader.TryGetDecimal(out var amount))
        {
            error = new(DeadLetterReason.AmountOutOfRange, AmountOutOfRangeDetail);
            return false;
        }

        if (amount <= 0)
        {
            error = new(DeadLetterReason.NonPositiveAmount, "amount must be greater than zero");
            return false;
        }

        // As the store rounds it: PostgreSQL's NUMERIC(18, 2) rounds half away from zero, and refuses what then overflows.
        if (Math.Round(amount, 2, MidpointRounding.AwayFromZero) > MaxAmount)
        {
            error = new(DeadLetterReason.AmountOutOfRange, AmountOutOfRangeDetail);
            return false;
        }

        tx.Amount = amount;
        error = default;
        return true;
    }

    private static bool ReadDevice(ref Utf8JsonReader reader, Transaction tx, out ParseError error)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            tx.Device = null;
        }
        else if (reader.TokenType == JsonTokenType.String)
        {
            tx.Device = reader.GetString();
            if (tx.Device!.Length > MaxTextLength)
            {
                error = new(DeadLetterReason.InvalidValue, $"device must be at most {MaxTextLength} characters");
                return false;
            }

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

        error = default;
        return true;
    }

    private static bool ReadChannel(ref Utf8JsonReader reader, Transaction tx, out ParseError error)
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
        else if (PaymentChannelNames.TryRead(ref reader, out var channel))
        {
            tx.Channel = channel;
        }
        else
        {
            error = new(DeadLetterReason.UnknownChannel, UnknownChannelDetail);
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

    /// <summary>Currency (ISO 4217) or country (ISO 3166 alpha-2): a known code, interned so parsing allocates nothing.</summary>
    private static bool ReadCode(ref Utf8JsonReader reader, Field field, Transaction tx, out ParseError error)
    {
        var currency = field == Field.Currency;
        if (reader.TokenType != JsonTokenType.String)
        {
            error = WrongType(NameOf(field), "a string", reader.TokenType);
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
        var code = "";
        var known = ok && (currency ? IsoCodes.TryGetCurrency(span, out code) : IsoCodes.TryGetCountry(span, out code));
        if (!known)
        {
            error = currency
                ? new(DeadLetterReason.UnknownCurrency, $"currency '{Printable(reader)}' is not an ISO 4217 code")
                : new(DeadLetterReason.UnknownCountry, $"country '{Printable(reader)}' is not an ISO 3166 alpha-2 code");
            return false;
        }

        if (currency)
        {
            tx.Currency = code;
        }
        else
        {
            tx.Country = code;
        }

        error = default;
        return true;
    }

    /// <summary>Latitude or longitude: optional (null), else a finite number of degrees within its range.</summary>
    private static bool ReadCoordinate(ref Utf8JsonReader reader, Field field, Transaction tx, out ParseError error)
    {
        var value = double.NaN;
        if (reader.TokenType != JsonTokenType.Null)
        {
            if (reader.TokenType != JsonTokenType.Number)
            {
                error = WrongType(NameOf(field), "a number", reader.TokenType);
                return false;
            }

            value = reader.GetDouble();
            var limit = field == Field.Lat ? 90 : 180;
            if (!double.IsFinite(value) || value < -limit || value > limit)
            {
                error = new(DeadLetterReason.InvalidValue, $"{NameOf(field)} must be between -{limit} and {limit}");
                return false;
            }
        }

        if (field == Field.Lat)
        {
            tx.Latitude = value;
        }
        else
        {
            tx.Longitude = value;
        }

        error = default;
        return true;
    }

    private static ParseError WrongType(string field, string expected, JsonTokenType actual) =>
        new(DeadLetterReason.WrongType, $"{field} must be {expected}, not {actual.ToString().ToLowerInvariant()}");

    /// <summary>A value quoted in a detail: masked, then cut (cut first, a long card number's first digits no longer pass Luhn).</summary>
    private static string Printable(Utf8JsonReader reader)
    {
        var s = Pans.Mask(StorableText.Sanitize(reader.GetString() ?? ""));
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
        writer.WriteString(Utf8Name(Field.Id), tx.Id);
        writer.WriteString(Utf8Name(Field.Ts), DateTime.SpecifyKind(tx.Timestamp, DateTimeKind.Utc));
        writer.WriteString(Utf8Name(Field.Card), tx.Card);
        writer.WriteString(Utf8Name(Field.Merchant), tx.Merchant);
        writer.WriteString(Utf8Name(Field.Category), tx.Category);
        writer.WriteNumber(Utf8Name(Field.Amount), tx.Amount);
        writer.WriteString(Utf8Name(Field.Currency), tx.Currency);
        writer.WriteString(Utf8Name(Field.Country), tx.Country);
        if (tx.HasLocation)
        {
            writer.WriteNumber(Utf8Name(Field.Lat), Math.Round(tx.Latitude, 5));
            writer.WriteNumber(Utf8Name(Field.Lon), Math.Round(tx.Longitude, 5));
        }

        if (tx.Device is not null)
        {
            writer.WriteString(Utf8Name(Field.Device), tx.Device);
        }

        // An unknown channel has no name and is left out.
        var channel = tx.Channel.ToUtf8();
        if (!channel.IsEmpty)
        {
            writer.WriteString(Utf8Name(Field.Channel), channel);
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
