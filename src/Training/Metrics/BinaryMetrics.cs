namespace FraudStream.Training.Metrics;

/// <summary>Precision, recall and false-positive rate at one threshold (score &gt;= threshold flags).</summary>
public readonly record struct ThresholdMetrics(double Threshold, long TruePositives, long FalsePositives, long Positives, long Negatives)
{
    /// <summary>NaN when nothing is flagged.</summary>
    public double Precision => TruePositives + FalsePositives == 0 ? double.NaN : (double)TruePositives / (TruePositives + FalsePositives);

    public double Recall => Positives == 0 ? double.NaN : (double)TruePositives / Positives;

    public double FalsePositiveRate => Negatives == 0 ? double.NaN : (double)FalsePositives / Negatives;
}

/// <summary>
/// Ranking metrics of a binary scorer, pure functions of (scores, labels). Higher score = more likely
/// positive; a transaction is flagged when score &gt;= threshold. Tied scores are one step: they are
/// flagged or not together.
/// </summary>
public static class BinaryMetrics
{
    /// <summary>
    /// Average precision: the sum over distinct thresholds of (recall gained) x (precision there), the
    /// step-wise area under the precision-recall curve (as scikit-learn's average_precision_score).
    /// </summary>
    public static double AveragePrecision(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        var order = Order(scores, labels, out var positives, out _);
        if (positives == 0)
        {
            return double.NaN;
        }

        double ap = 0;
        long tp = 0, fp = 0;
        var i = 0;
        while (i < order.Length)
        {
            var j = i;
            var score = scores[order[i]];
            var tiedPositives = 0;
            while (j < order.Length && scores[order[j]] == score)
            {
                if (labels[order[j]])
                {
                    tiedPositives++;
                }

                j++;
            }

            tp += tiedPositives;
            fp += (j - i) - tiedPositives;
            if (tiedPositives > 0)
            {
                ap += ((double)tiedPositives / positives) * ((double)tp / (tp + fp));
            }

            i = j;
        }

        return ap;
    }

    /// <summary>Area under the ROC curve: the probability a random positive outscores a random negative, ties counting half.</summary>
    public static double RocAuc(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        var order = Order(scores, labels, out var positives, out var negatives);
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        // Walk from the highest score: each negative contributes the positives above it, plus half of the tied ones.
        double wins = 0;
        long positivesAbove = 0;
        var i = 0;
        while (i < order.Length)
        {
            var j = i;
            var score = scores[order[i]];
            long tiedPositives = 0, tiedNegatives = 0;
            while (j < order.Length && scores[order[j]] == score)
            {
                if (labels[order[j]])
                {
                    tiedPositives++;
                }
                else
                {
                    tiedNegatives++;
                }

                j++;
            }

            wins += tiedNegatives * (positivesAbove + (0.5 * tiedPositives));
            positivesAbove += tiedPositives;
            i = j;
        }

        return wins / ((double)positives * negatives);
    }

    /// <summary>Mean squared difference of the score (a probability) and the outcome: 0 is perfect.</summary>
    public static double BrierScore(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        if (scores.Length == 0)
        {
            return double.NaN;
        }

        var sum = 0.0;
        for (var i = 0; i < scores.Length; i++)
        {
            var d = scores[i] - (labels[i] ? 1.0 : 0.0);
            sum += d * d;
        }

        return sum / scores.Length;
    }

    /// <summary>
    /// Expected calibration error: rows in <paramref name="bins"/> equal-width score bins, the row-weighted mean of
    /// |mean score − fraud share| over the bins. A score of 0.2 should be fraud one time in five; a model trained on
    /// up-weighted frauds scores too high, which this shows and PR-AUC does not.
    /// </summary>
    public static double ExpectedCalibrationError(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, int bins = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        if (scores.Length == 0)
        {
            return double.NaN;
        }

        Span<double> scoreSum = stackalloc double[bins];
        Span<double> positives = stackalloc double[bins];
        Span<int> counts = stackalloc int[bins];
        for (var i = 0; i < scores.Length; i++)
        {
            var bin = Math.Clamp((int)(scores[i] * bins), 0, bins - 1);
            scoreSum[bin] += scores[i];
            positives[bin] += labels[i] ? 1 : 0;
            counts[bin]++;
        }

        var error = 0.0;
        for (var b = 0; b < bins; b++)
        {
            if (counts[b] > 0)
            {
                error += Math.Abs((scoreSum[b] - positives[b]) / counts[b]) * counts[b];
            }
        }

        return error / scores.Length;
    }

    /// <summary>
    /// The highest recall reachable while the false-positive rate stays at or below <paramref name="maxFpr"/>
    /// (thresholds only at distinct scores, so ties are never split).
    /// </summary>
    public static double RecallAtFpr(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, double maxFpr)
    {
        var threshold = ThresholdForFpr(scores, labels, maxFpr);
        return At(scores, labels, threshold).Recall;
    }

    /// <summary>
    /// The lowest threshold whose false-positive rate is at most <paramref name="maxFpr"/>: a score at
    /// or above it flags. Above the top score (flags nothing) when even the top score is too costly.
    /// </summary>
    public static double ThresholdForFpr(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, double maxFpr)
    {
        var order = Order(scores, labels, out _, out var negatives);
        var allowed = (long)Math.Floor((maxFpr * negatives) + 1e-9);
        double threshold = order.Length == 0 ? 1.0 : Math.BitIncrement(scores[order[0]]);
        long fp = 0;
        var i = 0;
        while (i < order.Length)
        {
            var j = i;
            var score = scores[order[i]];
            while (j < order.Length && scores[order[j]] == score)
            {
                if (!labels[order[j]])
                {
                    fp++;
                }

                j++;
            }

            if (fp > allowed)
            {
                break;
            }

            threshold = score;
            i = j;
        }

        return threshold;
    }

    public static ThresholdMetrics At(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, double threshold)
    {
        CheckLengths(scores, labels);
        long tp = 0, fp = 0, positives = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (labels[i])
            {
                positives++;
            }

            if (scores[i] >= threshold)
            {
                if (labels[i])
                {
                    tp++;
                }
                else
                {
                    fp++;
                }
            }
        }

        return new ThresholdMetrics(threshold, tp, fp, positives, scores.Length - positives);
    }

    /// <summary>Precision, recall and FPR of a yes/no decision (e.g. rules alone).</summary>
    public static ThresholdMetrics OfFlags(ReadOnlySpan<bool> flagged, ReadOnlySpan<bool> labels)
    {
        if (flagged.Length != labels.Length)
        {
            throw new ArgumentException("flags and labels differ in length", nameof(labels));
        }

        long tp = 0, fp = 0, positives = 0;
        for (var i = 0; i < flagged.Length; i++)
        {
            positives += labels[i] ? 1 : 0;
            if (flagged[i])
            {
                if (labels[i])
                {
                    tp++;
                }
                else
                {
                    fp++;
                }
            }
        }

        return new ThresholdMetrics(double.NaN, tp, fp, positives, flagged.Length - positives);
    }

    /// <summary>Row indices sorted by score, highest first.</summary>
    public static int[] OrderByScore(ReadOnlySpan<float> scores)
    {
        var order = new int[scores.Length];
        var keys = new float[scores.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
            keys[i] = -scores[i];
        }

        Array.Sort(keys, order);
        return order;
    }

    /// <summary>
    /// <see cref="AveragePrecision"/> and <see cref="RocAuc"/> with each row counted <c>weightOfGroup[groups[row]]</c>
    /// times (a bootstrap resample of groups), in one pass over <paramref name="order"/> (<see cref="OrderByScore"/>).
    /// With every weight 1 both equal the unweighted metrics.
    /// </summary>
    public static (double PrAuc, double RocAuc) WeightedAucs(
        ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, ReadOnlySpan<int> order, ReadOnlySpan<int> groups, ReadOnlySpan<double> weightOfGroup)
    {
        CheckLengths(scores, labels);
        double positives = 0, negatives = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var w = weightOfGroup[groups[i]];
            if (labels[i])
            {
                positives += w;
            }
            else
            {
                negatives += w;
            }
        }

        if (positives == 0)
        {
            return (double.NaN, double.NaN);
        }

        double ap = 0, wins = 0, tp = 0, fp = 0;
        var start = 0;
        while (start < order.Length)
        {
            var end = start;
            var score = scores[order[start]];
            double tiedPositives = 0, tiedNegatives = 0;
            while (end < order.Length && scores[order[end]] == score)
            {
                var row = order[end];
                var w = weightOfGroup[groups[row]];
                if (labels[row])
                {
                    tiedPositives += w;
                }
                else
                {
                    tiedNegatives += w;
                }

                end++;
            }

            wins += tiedNegatives * (tp + (0.5 * tiedPositives));
            tp += tiedPositives;
            fp += tiedNegatives;
            if (tiedPositives > 0)
            {
                ap += (tiedPositives / positives) * (tp / (tp + fp));
            }

            start = end;
        }

        return (ap, negatives == 0 ? double.NaN : wins / (positives * negatives));
    }

    /// <summary>
    /// The fewest false positives of <c>forced || score >= t</c> over all thresholds t whose recall reaches
    /// <paramref name="targetRecall"/>: how a model beside fixed flags (rules that always act) reaches a given recall.
    /// Returns the threshold (above the top score when the forced flags alone reach it) and the metrics there.
    /// </summary>
    public static ThresholdMetrics AtRecall(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, ReadOnlySpan<bool> forced, double targetRecall)
    {
        CheckLengths(scores, labels);
        if (forced.Length != scores.Length)
        {
            throw new ArgumentException("forced flags and scores differ in length", nameof(forced));
        }

        long positives = 0, tp = 0, fp = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            positives += labels[i] ? 1 : 0;
            if (forced[i])
            {
                tp += labels[i] ? 1 : 0;
                fp += labels[i] ? 0 : 1;
            }
        }

        var negatives = scores.Length - positives;
        var needed = (long)Math.Ceiling((targetRecall * positives) - 1e-9);
        var order = OrderByScore(scores);
        var threshold = order.Length == 0 ? 1.0 : Math.BitIncrement((double)scores[order[0]]);
        var start = 0;
        while (tp < needed && start < order.Length)
        {
            var end = start;
            var score = scores[order[start]];
            while (end < order.Length && scores[order[end]] == score)
            {
                var row = order[end];
                if (!forced[row])
                {
                    tp += labels[row] ? 1 : 0;
                    fp += labels[row] ? 0 : 1;
                }

                end++;
            }

            threshold = score;
            start = end;
        }

        return new ThresholdMetrics(threshold, tp, fp, positives, negatives);
    }

    /// <summary>Indices sorted by score, highest first (tied scores are always handled as one group).</summary>
    private static int[] Order(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, out long positives, out long negatives)
    {
        CheckLengths(scores, labels);
        positives = 0;
        foreach (var label in labels)
        {
            positives += label ? 1 : 0;
        }

        negatives = scores.Length - positives;
        return OrderByScore(scores);
    }

    private static void CheckLengths(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        if (scores.Length != labels.Length)
        {
            throw new ArgumentException("scores and labels differ in length", nameof(labels));
        }

        foreach (var score in scores)
        {
            if (float.IsNaN(score))
            {
                throw new ArgumentException("a score is NaN", nameof(scores));
            }
        }
    }
}
