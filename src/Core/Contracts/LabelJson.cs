using System.Buffers;
using System.Text.Json;

namespace FraudStream.Core.Contracts;

/// <summary>The <c>labels</c> contract: <c>{"id","fraud","reported_at"}</c>.</summary>
public static class LabelJson
{
    /// <summary>The longest label id: a transaction id's limit (<see cref="TransactionJson"/>).</summary>
    public const int MaxIdLength = 256;

    public static byte[] Serialize(Label label)
    {
        ArgumentNullException.ThrowIfNull(label);
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, label.Id);
            writer.WriteBoolean("fraud"u8, label.Fraud);
            writer.WriteString("reported_at"u8, label.ReportedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"));
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static bool TryParse(ReadOnlySpan<byte> utf8, out Label? label, out string? error)
    {
        label = null;
        try
        {
            using var doc = JsonDocument.Parse(utf8.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "label is not a JSON object";
                return false;
            }

            if (!root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(id.GetString()))
            {
                error = "label needs a string id";
                return false;
            }

            // As a transaction id: a longer one names no transaction, and PostgreSQL's index refuses one over ~2.7 kB.
            if (id.GetString()!.Length > MaxIdLength)
            {
                error = $"label id must be 1 to {MaxIdLength} characters";
                return false;
            }

            if (!StorableText.IsClean(id.GetString()))
            {
                error = "label id contains a control character or an unpaired surrogate";
                return false;
            }

            if (!root.TryGetProperty("fraud", out var fraud) || fraud.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                error = "label needs a boolean fraud";
                return false;
            }

            if (!root.TryGetProperty("reported_at", out var reported) || !reported.TryGetDateTimeOffset(out var at))
            {
                error = "label needs an RFC 3339 reported_at";
                return false;
            }

            label = new Label(id.GetString()!, fraud.GetBoolean(), at.UtcDateTime);
            error = null;
            return true;
        }
        catch (JsonException ex)
        {
            error = "invalid JSON: " + ex.Message;
            return false;
        }
        catch (InvalidOperationException ex)
        {
            // An escaped unpaired surrogate in a string: not decodable, and no store could keep it.
            error = "label text is not valid UTF-16: " + ex.Message;
            return false;
        }
    }
}
