namespace FraudStream.Training.Metrics;

/// <summary>One day of an evaluation: its rows, frauds, and the card precision of its top-ranked cards.</summary>
public readonly record struct DayResult(int Day, int Rows, int Frauds, int Cards, int CompromisedCards, double CardPrecision);

/// <summary>A two-sided percentile interval.</summary>
public readonly record struct Interval(double Low, double High);

/// <summary>Bootstrap intervals of an evaluation's headline metrics, days resampled with replacement.</summary>
public sealed record DayBootstrap(int Resamples, double Level, Interval PrAuc, Interval RocAuc, Interval CardPrecision);

/// <summary>
/// Metrics by day: card precision@k (of the k cards with the highest score that day, the share with a fraud that day —
/// how a fraud team that can check k cards a day is served) and bootstrap confidence intervals that resample whole days,
/// since rows of one day are not independent (one card's spree, one compromised merchant).
/// </summary>
public static class DailyMetrics
{
    /// <summary>
    /// Per day (<paramref name="days"/>: 0-based day of each row), each card's highest score and whether it had a fraud
    /// that day; the <paramref name="k"/> highest-scoring cards (fewer on a day with fewer cards; ties broken by card
    /// number, so the result is deterministic) and the share of them with a fraud.
    /// </summary>
    public static DayResult[] CardPrecisionAtK(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, ReadOnlySpan<int> days, ReadOnlySpan<int> cards, int k)
    {
        if (scores.Length != labels.Length || scores.Length != days.Length || scores.Length != cards.Length)
        {
            throw new ArgumentException("scores, labels, days and cards differ in length", nameof(cards));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var dayCount = DayCount(days);

        var rowsOfDay = new List<int>[dayCount];
        for (var d = 0; d < dayCount; d++)
        {
            rowsOfDay[d] = [];
        }

        for (var i = 0; i < days.Length; i++)
        {
            rowsOfDay[days[i]].Add(i);
        }

        var results = new List<DayResult>(dayCount);
        var best = new Dictionary<int, (float Score, bool Fraud)>();
        for (var d = 0; d < dayCount; d++)
        {
            var rows = rowsOfDay[d];
            if (rows.Count == 0)
            {
                continue;
            }

            best.Clear();
            var frauds = 0;
            foreach (var i in rows)
            {
                frauds += labels[i] ? 1 : 0;
                best[cards[i]] = best.TryGetValue(cards[i], out var seen)
                    ? (Math.Max(seen.Score, scores[i]), seen.Fraud || labels[i])
                    : (scores[i], labels[i]);
            }

            var ranked = new List<(int Card, float Score, bool Fraud)>(best.Count);
            var compromised = 0;
            foreach (var (card, value) in best)
            {
                ranked.Add((card, value.Score, value.Fraud));
                compromised += value.Fraud ? 1 : 0;
            }

            ranked.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Card.CompareTo(b.Card));
            var top = Math.Min(k, ranked.Count);
            var hits = 0;
            for (var r = 0; r < top; r++)
            {
                hits += ranked[r].Fraud ? 1 : 0;
            }

            results.Add(new DayResult(d, rows.Count, frauds, ranked.Count, compromised, (double)hits / top));
        }

        return [.. results];
    }

    /// <summary>The mean of the days' card precision.</summary>
    public static double MeanCardPrecision(ReadOnlySpan<DayResult> days)
    {
        if (days.IsEmpty)
        {
            return double.NaN;
        }

        double sum = 0;
        foreach (var day in days)
        {
            sum += day.CardPrecision;
        }

        return sum / days.Length;
    }

    /// <summary>The mean over the days of the best card precision@k a ranking could reach (every compromised card first).</summary>
    public static double CardPrecisionCeiling(ReadOnlySpan<DayResult> days, int k)
    {
        if (days.IsEmpty)
        {
            return double.NaN;
        }

        double sum = 0;
        foreach (var day in days)
        {
            var top = Math.Min(k, day.Cards);
            sum += (double)Math.Min(day.CompromisedCards, top) / top;
        }

        return sum / days.Length;
    }

    /// <summary>
    /// Percentile intervals (<paramref name="level"/>, e.g. 0.95) of PR-AUC, ROC-AUC and mean card precision over
    /// <paramref name="resamples"/> resamples of the days, with replacement; deterministic by <paramref name="seed"/>. A
    /// resample weighs each row by how often its day was drawn, so the rows are sorted once.
    /// </summary>
    public static DayBootstrap Bootstrap(
        ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, ReadOnlySpan<int> days, ReadOnlySpan<DayResult> dayResults,
        int resamples, double level, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1);
        if (level is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(level), "must be in (0, 1)");
        }

        var dayCount = DayCount(days);

        // Only days with rows are drawn (dayResults lists exactly those).
        var drawable = new int[dayResults.Length];
        var precisionOfDay = new double[dayCount];
        for (var i = 0; i < dayResults.Length; i++)
        {
            drawable[i] = dayResults[i].Day;
            precisionOfDay[dayResults[i].Day] = dayResults[i].CardPrecision;
        }

        var order = BinaryMetrics.OrderByScore(scores);
        var random = new Random(seed);
        var weightOfDay = new double[dayCount];
        var prAuc = new double[resamples];
        var rocAuc = new double[resamples];
        var precision = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            Array.Clear(weightOfDay);
            double precisionSum = 0;
            for (var i = 0; i < drawable.Length; i++)
            {
                var day = drawable[random.Next(drawable.Length)];
                weightOfDay[day]++;
                precisionSum += precisionOfDay[day];
            }

            precision[r] = drawable.Length == 0 ? double.NaN : precisionSum / drawable.Length;
            (prAuc[r], rocAuc[r]) = BinaryMetrics.WeightedAucs(scores, labels, order, days, weightOfDay);
        }

        return new DayBootstrap(resamples, level, Percentiles(prAuc, level), Percentiles(rocAuc, level), Percentiles(precision, level));
    }

    private static int DayCount(ReadOnlySpan<int> days)
    {
        var count = 0;
        foreach (var day in days)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(day, nameof(days));
            count = Math.Max(count, day + 1);
        }

        return count;
    }

    private static Interval Percentiles(double[] values, double level)
    {
        var kept = Array.FindAll(values, v => !double.IsNaN(v));
        if (kept.Length == 0)
        {
            return new Interval(double.NaN, double.NaN);
        }

        Array.Sort(kept);
        var tail = (1 - level) / 2;
        return new Interval(Quantile(kept, tail), Quantile(kept, 1 - tail));
    }

    // Linear interpolation between order statistics (as numpy's default).
    private static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }
}
