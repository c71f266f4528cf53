using FraudStream.Core.Contracts;
using FraudStream.Scoring.Packaging;
using FraudStream.Training.Data;
using FraudStream.Training.Metrics;
using FraudStream.Training.Modeling;
using Microsoft.ML;

namespace FraudStream.Training.Evaluation;

/// <summary>
/// <c>fraudstream evaluate</c>: replays a labelled file through the feature engine, scores the rows from
/// <see cref="EvaluateOptions.EvalFrom"/> on with the package's ML.NET model (the source of truth) and
/// measures them against their labels.
/// </summary>
public static class ModelEvaluator
{
    public static EvaluationReport Evaluate(EvaluateOptions options, TextWriter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var history = options.SimulatorSeed is { } seed
            ? HistorySources.Simulator(seed, options.SimulatorCount, options.LabelNoise, options.World)
            : HistorySources.File(options.Format, options.File);
        var evalFrom = TimeBoundary.ParseOrNull(options.EvalFrom, "--eval-from");
        var transactions = options.Rules is null ? null : new List<(Transaction Tx, float[] Features)>();
        var cardNumbers = new Dictionary<string, int>(StringComparer.Ordinal);
        var cards = new List<int>();
        var table = FeatureTable.Build(history.Events, recordFromBoundary: evalFrom,
            onRow: (_, tx, features) =>
            {
                if (!cardNumbers.TryGetValue(tx.Card, out var number))
                {
                    number = cardNumbers.Count;
                    cardNumbers.Add(tx.Card, number);
                }

                cards.Add(number);
                transactions?.Add((tx, (float[])features.Clone()));
            },
            stepOrigin: history.StepOrigin, observeLabels: options.SimulatorSeed is not null);
        progress?.WriteLine($"replayed {table.WarmupRows + table.Count:N0} transactions of {history.Description}; scoring {table.Count:N0}");

        var report = Evaluate(options, table, transactions, new RowContext([.. cards], Days(table, history.StepOrigin, out var dayNames), dayNames));
        progress?.Write(report.ToText());
        if (!string.IsNullOrEmpty(options.JsonReport))
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(options.JsonReport));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            System.IO.File.WriteAllText(options.JsonReport, report.ToJson());
        }

        return report;
    }

    /// <summary>Scores all rows of <paramref name="table"/> with the package and reports.</summary>
    public static EvaluationReport Evaluate(
        EvaluateOptions options, FeatureTable table, IReadOnlyList<(Transaction Tx, float[] Features)>? transactions = null, RowContext? rows = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(table);
        var package = ModelPackage.Load(options.Model);
        var scores = Score(options.Model, package, table);
        var labels = ModelTrainer.Labels(table, 0, table.Count);
        if (!table.HasObservedLabels)
        {
            return Measure(package, options, table.WarmupRows, scores, labels, transactions, rows);
        }

        var observed = new bool[table.Count];
        for (var i = 0; i < observed.Length; i++)
        {
            observed[i] = table.ObservedLabel(i);
        }

        var published = Measure(package, options, table.WarmupRows, scores, observed, transactions, rows);
        return Measure(package, options, table.WarmupRows, scores, labels, transactions, rows, "truth", published);
    }

    /// <summary>Each row's day (0-based, from the history's step origin or midnight UTC of the first row) and each day's name.</summary>
    public static int[] Days(FeatureTable table, DateTime? stepOrigin, out string[] names)
    {
        ArgumentNullException.ThrowIfNull(table);
        var days = new int[table.Count];
        if (table.Count == 0)
        {
            names = [];
            return days;
        }

        var origin = stepOrigin?.Ticks ?? table.Time(0).Date.Ticks;
        var first = int.MaxValue;
        var last = int.MinValue;
        for (var i = 0; i < days.Length; i++)
        {
            days[i] = (int)Math.Floor((table.Time(i).Ticks - origin) / (double)TimeSpan.TicksPerDay);
            first = Math.Min(first, days[i]);
            last = Math.Max(last, days[i]);
        }

        for (var i = 0; i < days.Length; i++)
        {
            days[i] -= first;
        }

        names = new string[last - first + 1];
        for (var d = 0; d < names.Length; d++)
        {
            var start = new DateTime(origin + ((first + d) * TimeSpan.TicksPerDay), DateTimeKind.Utc);
            names[d] = stepOrigin is null
                ? start.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)
                : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"step {first + d} ({start:yyyy-MM-ddTHH:mm}Z)");
        }

        return days;
    }

    /// <summary>Calibrated probabilities of every row, from the package's model.zip.</summary>
    public static float[] Score(string modelDirectory, ModelPackage package, FeatureTable table)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(table);
        var ml = new MLContext(package.Seed);
        var model = ml.Model.Load(Path.Combine(modelDirectory, package.Files.Mlnet), out _);
        return ModelRows.Score(ml, model, table, 0, table.Count);
    }

    internal static EvaluationReport Measure(
        ModelPackage package, EvaluateOptions options, long warmupRows, float[] scores, bool[] labels,
        IReadOnlyList<(Transaction Tx, float[] Features)>? transactions, RowContext? rows = null, string measuredAgainst = "labels",
        EvaluationReport? againstLabels = null)
    {
        var review = package.Thresholds.Review;
        var decline = package.Thresholds.Decline;
        var atReview = BinaryMetrics.At(scores, labels, review);
        var atDecline = BinaryMetrics.At(scores, labels, decline);
        DecisionMetrics? rules = null;
        DecisionMetrics? combined = null;
        EqualRecallComparison? atRulesRecall = null;
        if (options.Rules is { } decide && transactions is not null)
        {
            var ruleFlags = new bool[scores.Length];
            var combinedFlags = new bool[scores.Length];
            var ruleDeclines = new bool[scores.Length];
            var modelAllowed = new bool[scores.Length];
            for (var i = 0; i < scores.Length; i++)
            {
                var (tx, features) = transactions[i];
                // Rules alone: no model score, so neither the score rules nor the thresholds act.
                var alone = decide(tx, features, float.NaN);
                ruleFlags[i] = alone != DecisionKind.Approve;
                ruleDeclines[i] = alone == DecisionKind.Decline;
                // An infinite score declines unless an approve rule matched: only those keep the model out.
                modelAllowed[i] = decide(tx, features, float.PositiveInfinity) != DecisionKind.Approve;
                combinedFlags[i] = decide(tx, features, scores[i]) != DecisionKind.Approve || scores[i] >= review;
            }

            var rulesAlone = BinaryMetrics.OfFlags(ruleFlags, labels);
            rules = Decision(rulesAlone);
            combined = Decision(BinaryMetrics.OfFlags(combinedFlags, labels));
            atRulesRecall = EqualRecall(scores, labels, ruleDeclines, modelAllowed, rulesAlone);
        }

        DayResult[] days = [];
        ConfidenceReport? confidence = null;
        if (rows is { } context)
        {
            days = DailyMetrics.CardPrecisionAtK(scores, labels, context.Days, context.Cards, options.CardPrecisionK);
            if (options.Resamples > 0)
            {
                var ci = DailyMetrics.Bootstrap(scores, labels, context.Days, days, options.Resamples, options.ConfidenceLevel, seed: 1);
                confidence = new ConfidenceReport
                {
                    Resamples = ci.Resamples,
                    Level = ci.Level,
                    PrAuc = [ci.PrAuc.Low, ci.PrAuc.High],
                    RocAuc = [ci.RocAuc.Low, ci.RocAuc.High],
                    CardPrecision = [ci.CardPrecision.Low, ci.CardPrecision.High],
                };
            }
        }

        var dayReports = new List<DayReport>(days.Length);
        foreach (var day in days)
        {
            dayReports.Add(new DayReport
            {
                Day = rows!.DayNames[day.Day],
                Rows = day.Rows,
                Frauds = day.Frauds,
                Cards = day.Cards,
                CompromisedCards = day.CompromisedCards,
                CardPrecision = day.CardPrecision,
            });
        }

        return new EvaluationReport
        {
            ModelVersion = package.ModelVersion,
            File = options.SimulatorSeed is { } seed ? $"simulator seed {seed}" : Path.GetFileName(options.File),
            EvalFrom = options.EvalFrom,
            WarmupRows = warmupRows,
            Rows = scores.Length,
            Frauds = atReview.Positives,
            PrAuc = BinaryMetrics.AveragePrecision(scores, labels),
            RocAuc = BinaryMetrics.RocAuc(scores, labels),
            RecallAtFpr0001 = BinaryMetrics.RecallAtFpr(scores, labels, 0.001),
            RecallAtFpr001 = BinaryMetrics.RecallAtFpr(scores, labels, 0.01),
            Brier = BinaryMetrics.BrierScore(scores, labels),
            CalibrationError = BinaryMetrics.ExpectedCalibrationError(scores, labels),
            MeanScore = MeanOf(scores),
            ReviewThreshold = review,
            DeclineThreshold = decline,
            Precision = atReview.Precision,
            Recall = atReview.Recall,
            Fpr = atReview.FalsePositiveRate,
            Decline = Decision(atDecline),
            Rules = rules,
            ModelAndRules = combined,
            AtRulesRecall = atRulesRecall,
            MeasuredAgainst = measuredAgainst,
            CardPrecisionK = options.CardPrecisionK,
            CardPrecision = DailyMetrics.MeanCardPrecision(days),
            CardPrecisionCeiling = DailyMetrics.CardPrecisionCeiling(days, options.CardPrecisionK),
            Confidence = confidence,
            Days = rows is null ? null : dayReports,
            AgainstLabels = againstLabels,
        };
    }

    // The rules' declines stand and approve rules keep the model out; the model's score replaces the review rules.
    private static EqualRecallComparison EqualRecall(float[] scores, bool[] labels, bool[] ruleDeclines, bool[] modelAllowed, ThresholdMetrics rulesAlone)
    {
        var modelScores = new float[scores.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            // A score below every probability never flags: the approved rows stay approved.
            modelScores[i] = modelAllowed[i] ? scores[i] : -1f;
        }

        var at = BinaryMetrics.AtRecall(modelScores, labels, ruleDeclines, rulesAlone.Recall);
        return new EqualRecallComparison
        {
            Threshold = at.Threshold,
            Recall = at.Recall,
            Precision = at.Precision,
            FalsePositives = at.FalsePositives,
            RulesRecall = rulesAlone.Recall,
            RulesFalsePositives = rulesAlone.FalsePositives,
            FalsePositiveChange = rulesAlone.FalsePositives == 0 ? double.NaN : (double)(at.FalsePositives - rulesAlone.FalsePositives) / rulesAlone.FalsePositives,
        };
    }

    private static double MeanOf(float[] scores)
    {
        var sum = 0.0;
        foreach (var s in scores)
        {
            sum += s;
        }

        return scores.Length == 0 ? double.NaN : sum / scores.Length;
    }

    private static DecisionMetrics Decision(ThresholdMetrics m) => new()
    {
        Precision = m.Precision,
        Recall = m.Recall,
        Fpr = m.FalsePositiveRate,
        Flagged = m.TruePositives + m.FalsePositives,
    };
}

/// <summary>What evaluation knows of each row beyond its score and label: its card (numbered) and its day.</summary>
public sealed record RowContext(int[] Cards, int[] Days, string[] DayNames);
