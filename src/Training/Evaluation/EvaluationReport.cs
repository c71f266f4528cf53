using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FraudStream.Training.Evaluation;

/// <summary>Precision, recall and false-positive rate of a yes/no decision.</summary>
public sealed class DecisionMetrics
{
    [JsonPropertyName("precision")]
    public double Precision { get; init; }

    [JsonPropertyName("recall")]
    public double Recall { get; init; }

    [JsonPropertyName("fpr")]
    public double Fpr { get; init; }

    [JsonPropertyName("flagged")]
    public long Flagged { get; init; }
}

/// <summary>What <c>fraudstream evaluate</c> reports. Metrics of the model are at the package's review threshold.</summary>
public sealed class EvaluationReport
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    [JsonPropertyName("model_version")]
    public string ModelVersion { get; init; } = "";

    [JsonPropertyName("file")]
    public string File { get; init; } = "";

    [JsonPropertyName("eval_from")]
    public string? EvalFrom { get; init; }

    [JsonPropertyName("warmup_rows")]
    public long WarmupRows { get; init; }

    [JsonPropertyName("rows")]
    public long Rows { get; init; }

    [JsonPropertyName("frauds")]
    public long Frauds { get; init; }

    [JsonPropertyName("pr_auc")]
    public double PrAuc { get; init; }

    [JsonPropertyName("roc_auc")]
    public double RocAuc { get; init; }

    [JsonPropertyName("recall_at_fpr_0_001")]
    public double RecallAtFpr0001 { get; init; }

    [JsonPropertyName("recall_at_fpr_0_01")]
    public double RecallAtFpr001 { get; init; }

    [JsonPropertyName("review_threshold")]
    public double ReviewThreshold { get; init; }

    [JsonPropertyName("decline_threshold")]
    public double DeclineThreshold { get; init; }

    /// <summary>At the review threshold (review or decline both flag).</summary>
    [JsonPropertyName("precision")]
    public double Precision { get; init; }

    [JsonPropertyName("recall")]
    public double Recall { get; init; }

    [JsonPropertyName("fpr")]
    public double Fpr { get; init; }

    [JsonPropertyName("decline")]
    public DecisionMetrics Decline { get; init; } = new();

    [JsonPropertyName("rules")]
    public DecisionMetrics? Rules { get; init; }

    [JsonPropertyName("model_and_rules")]
    public DecisionMetrics? ModelAndRules { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static EvaluationReport FromJson(string json) =>
        JsonSerializer.Deserialize<EvaluationReport>(json, JsonOptions) ?? throw new InvalidDataException("empty report");

    public string ToText()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"model {ModelVersion} on {File}{(EvalFrom is null ? "" : $" from {EvalFrom}")} ({WarmupRows:N0} warm-up rows)");
        text.AppendLine(c, $"rows {Rows:N0}, frauds {Frauds:N0}");
        text.AppendLine(c, $"PR-AUC {PrAuc:F4}  ROC-AUC {RocAuc:F4}  recall@FPR0.1% {RecallAtFpr0001:F4}  recall@FPR1% {RecallAtFpr001:F4}");
        text.AppendLine(c, $"model @review  >= {ReviewThreshold:F4}: precision {Precision:F4} recall {Recall:F4} fpr {Fpr:F5}");
        text.AppendLine(c, $"model @decline >= {DeclineThreshold:F4}: precision {Decline.Precision:F4} recall {Decline.Recall:F4} fpr {Decline.Fpr:F5}");
        if (Rules is not null)
        {
            text.AppendLine(c, $"rules alone:    precision {Rules.Precision:F4} recall {Rules.Recall:F4} fpr {Rules.Fpr:F5}");
        }

        if (ModelAndRules is not null)
        {
            text.AppendLine(c, $"model + rules:  precision {ModelAndRules.Precision:F4} recall {ModelAndRules.Recall:F4} fpr {ModelAndRules.Fpr:F5}");
        }

        return text.ToString();
    }
}
