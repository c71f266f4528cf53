using System.Buffers;
using System.Text.Json;

namespace FraudStream.Core.Contracts;

/// <summary>The <c>decisions</c> contract as written to Kafka.</summary>
public static class DecisionJson
{
    /// <summary>Writes one decision; <paramref name="score"/> is NaN when no model answered.</summary>
    public static void Write(
        Utf8JsonWriter writer,
        string id,
        DecisionKind decision,
        float score,
        IReadOnlyList<string> reasons,
        int reasonCount,
        string modelVersion,
        string rulesetVersion,
        DateTime decidedAt,
        long latencyMicros)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(reasons);
        writer.WriteStartObject();
        writer.WriteString("id"u8, id);
        writer.WriteString("decision"u8, decision.ToUtf8());
        if (float.IsNaN(score))
        {
            writer.WriteNull("score"u8);
        }
        else
        {
            writer.WriteNumber("score"u8, Math.Round((double)score, 6));
        }

        writer.WriteStartArray("reasons"u8);
        for (var i = 0; i < reasonCount; i++)
        {
            writer.WriteStringValue(reasons[i]);
        }

        writer.WriteEndArray();
        writer.WriteString("model_version"u8, modelVersion);
        writer.WriteString("ruleset_version"u8, rulesetVersion);
        writer.WriteString("decided_at"u8, DateTime.SpecifyKind(decidedAt, DateTimeKind.Utc));
        writer.WriteNumber("latency_us"u8, latencyMicros);
        writer.WriteEndObject();
    }
}

/// <summary>A decision as read back from the <c>decisions</c> topic (tests, tools).</summary>
public sealed record DecisionMessage(
    string Id,
    DecisionKind Decision,
    double? Score,
    IReadOnlyList<string> Reasons,
    string ModelVersion,
    string RulesetVersion,
    DateTime DecidedAt,
    long LatencyMicros)
{
    public static DecisionMessage Parse(ReadOnlySpan<byte> utf8)
    {
        using var doc = JsonDocument.Parse(utf8.ToArray());
        var r = doc.RootElement;
        if (!DecisionKindNames.TryParse(r.GetProperty("decision").GetString(), out var kind))
        {
            throw new FormatException("unknown decision value");
        }

        var reasons = new List<string>();
        foreach (var reason in r.GetProperty("reasons").EnumerateArray())
        {
            reasons.Add(reason.GetString() ?? "");
        }

        var score = r.GetProperty("score");
        return new DecisionMessage(
            r.GetProperty("id").GetString()!,
            kind,
            score.ValueKind == JsonValueKind.Null ? null : score.GetDouble(),
            reasons,
            r.GetProperty("model_version").GetString() ?? "",
            r.GetProperty("ruleset_version").GetString() ?? "",
            r.GetProperty("decided_at").GetDateTimeOffset().UtcDateTime,
            r.GetProperty("latency_us").GetInt64());
    }
}
