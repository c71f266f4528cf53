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

/// <summary>
/// Model + rules against rules alone at the same recall: the rules' declines (and approvals) stand, the model's score
/// takes the place of the review rules, its threshold the lowest that reaches the recall of rules alone.
/// </summary>
public sealed class EqualRecallComparison
{
    [JsonPropertyName("threshold")]
    public double Threshold { get; init; }

    [JsonPropertyName("recall")]
    public double Recall { get; init; }

    [JsonPropertyName("precision")]
    public double Precision { get; init; }

    [JsonPropertyName("false_positives")]
    public long FalsePositives { get; init; }

    [JsonPropertyName("rules_recall")]
    public double RulesRecall { get; init; }

    [JsonPropertyName("rules_false_positives")]
    public long RulesFalsePositives { get; init; }

    /// <summary>(model + rules − rules alone) / rules alone: −0.4 is 40 % fewer false positives.</summary>
    [JsonPropertyName("false_positive_change")]
    public double FalsePositiveChange { get; init; }
}

/// <summary>One day of the evaluation (UTC day, or BankSim step).</summary>
public sealed class DayReport
{
    [JsonPropertyName("day")]
    public string Day { get; init; } = "";

    [JsonPropertyName("rows")]
    public int Rows { get; init; }

    [JsonPropertyName("frauds")]
    public int Frauds { get; init; }

    [JsonPropertyName("cards")]
    public int Cards { get; init; }

    [JsonPropertyName("compromised_cards")]
    public int CompromisedCards { get; init; }

    [JsonPropertyName("card_precision_at_k")]
    public double CardPrecision { get; init; }
}

/// <summary>Percentile intervals from resampling whole days.</summary>
public sealed class ConfidenceReport
{
    [JsonPropertyName("resamples")]
    public int Resamples { get; init; }

    [JsonPropertyName("level")]
    public double Level { get; init; }

    [JsonPropertyName("pr_auc")]
    public double[] PrAuc { get; init; } = [];

    [JsonPropertyName("roc_auc")]
    public double[] RocAuc { get; init; } = [];

    [JsonPropertyName("card_precision_at_k")]
    public double[] CardPrecision { get; init; } = [];
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

    /// <summary>Calibration: mean squared error of the score as a probability.</summary>
    [JsonPropertyName("brier")]
    public double Brier { get; init; }

    /// <summary>Calibration: expected calibration error over 10 score bins (<see cref="Metrics.BinaryMetrics.ExpectedCalibrationError"/>).</summary>
    [JsonPropertyName("calibration_error")]
    public double CalibrationError { get; init; }

    /// <summary>Mean score against the fraud share of the rows: how far the probabilities are off on average.</summary>
    [JsonPropertyName("mean_score")]
    public double MeanScore { get; init; }

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

    [JsonPropertyName("model_and_rules_at_rules_recall")]
    public EqualRecallComparison? AtRulesRecall { get; init; }

    /// <summary>What the rows are measured against: <c>truth</c> (the simulator's) or <c>labels</c> (the file's, or the simulator's published ones).</summary>
    [JsonPropertyName("measured_against")]
    public string MeasuredAgainst { get; init; } = "labels";

    [JsonPropertyName("card_precision_k")]
    public int CardPrecisionK { get; init; }

    /// <summary>Mean over the days of card precision@k.</summary>
    [JsonPropertyName("card_precision_at_k")]
    public double CardPrecision { get; init; }

    /// <summary>The best card precision@k any ranking could reach: per day, compromised cards (at most k) over k (at most the cards), averaged.</summary>
    [JsonPropertyName("card_precision_ceiling")]
    public double CardPrecisionCeiling { get; init; }

    [JsonPropertyName("confidence")]
    public ConfidenceReport? Confidence { get; init; }

    [JsonPropertyName("days")]
    public IReadOnlyList<DayReport>? Days { get; init; }

    /// <summary>For a simulator world: the same rows measured against the labels it publishes (noise, delay, missing ones).</summary>
    [JsonPropertyName("against_labels")]
    public EvaluationReport? AgainstLabels { get; init; }

    private void AppendMetrics(StringBuilder text)
    {
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"against {MeasuredAgainst}: rows {Rows:N0}, frauds {Frauds:N0}");
        text.Append(c, $"  PR-AUC {PrAuc:F4}  ROC-AUC {RocAuc:F4}  recall@FPR0.1% {RecallAtFpr0001:F4}  recall@FPR1% {RecallAtFpr001:F4}");
        text.AppendLine(c, $"  card precision@{CardPrecisionK} {CardPrecision:F4} (mean of {Days?.Count ?? 0} days; ceiling {CardPrecisionCeiling:F4})");
        text.AppendLine(c, $"  calibration: Brier {Brier:F5}  ECE {CalibrationError:F5}  mean score {MeanScore:F5} against fraud share {(Rows == 0 ? 0 : (double)Frauds / Rows):F5}");
        if (Confidence is { } ci)
        {
            text.AppendLine(c, $"  {ci.Level:P0} intervals ({ci.Resamples} resamples of the days): PR-AUC [{ci.PrAuc[0]:F4}, {ci.PrAuc[1]:F4}]  ROC-AUC [{ci.RocAuc[0]:F4}, {ci.RocAuc[1]:F4}]  card precision [{ci.CardPrecision[0]:F4}, {ci.CardPrecision[1]:F4}]");
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static EvaluationReport FromJson(string json) =>
        JsonSerializer.Deserialize<EvaluationReport>(json, JsonOptions) ?? throw new InvalidDataException("empty report");

    public string ToText()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"model {ModelVersion} on {File}{(EvalFrom is null ? "" : $" from {EvalFrom}")} ({WarmupRows:N0} warm-up rows)");
        AppendMetrics(text);
        if (AgainstLabels is { } labels)
        {
            labels.AppendMetrics(text);
        }

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

        if (AtRulesRecall is { } equal)
        {
            text.AppendLine(c, $"at the recall of rules alone ({equal.RulesRecall:F4}): model + rules {equal.FalsePositives:N0} false positives (score >= {equal.Threshold:F4}, recall {equal.Recall:F4}) against {equal.RulesFalsePositives:N0}: {equal.FalsePositiveChange:+0.0%;-0.0%}");
        }

        return text.ToString();
    }
}
