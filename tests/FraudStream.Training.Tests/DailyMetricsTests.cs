using FraudStream.Training.Evaluation;
using FraudStream.Training.Metrics;

namespace FraudStream.Training.Tests;

public sealed class DailyMetricsTests
{
    [Fact]
    public void Card_precision_at_k_ranks_each_day_s_cards_by_their_highest_score()
    {
        // Day 0: card 1 (max 0.9, fraud), card 2 (max 0.8, legit), card 3 (0.2, fraud). Day 1: card 1 (0.1, legit), card 4 (0.7, fraud).
        float[] scores = [0.9f, 0.3f, 0.8f, 0.2f, 0.1f, 0.7f];
        bool[] labels = [false, true, false, true, false, true];
        int[] days = [0, 0, 0, 0, 1, 1];
        int[] cards = [1, 1, 2, 3, 1, 4];

        var result = DailyMetrics.CardPrecisionAtK(scores, labels, days, cards, k: 2);

        Assert.Equal(2, result.Length);
        Assert.Equal(new DayResult(0, 4, 2, 3, 2, 0.5), result[0]);
        Assert.Equal(new DayResult(1, 2, 1, 2, 1, 0.5), result[1]);
        Assert.Equal(0.5, DailyMetrics.MeanCardPrecision(result), 12);
        // Day 0: 2 compromised of the 2 a perfect ranking would check; day 1: 1 of 2.
        Assert.Equal(0.75, DailyMetrics.CardPrecisionCeiling(result, 2), 12);
    }

    [Fact]
    public void Weighted_aucs_equal_the_plain_ones_at_unit_weights_and_duplicated_rows_at_weight_two()
    {
        var random = new Random(3);
        var n = 400;
        var scores = new float[n];
        var labels = new bool[n];
        var groups = new int[n];
        for (var i = 0; i < n; i++)
        {
            labels[i] = random.NextDouble() < 0.2;
            scores[i] = MathF.Round((float)(random.NextDouble() + (labels[i] ? 0.4 : 0)), 1); // ties on purpose
            groups[i] = i % 5;
        }

        var order = BinaryMetrics.OrderByScore(scores);
        var (ap, roc) = BinaryMetrics.WeightedAucs(scores, labels, order, groups, [1, 1, 1, 1, 1]);
        Assert.Equal(BinaryMetrics.AveragePrecision(scores, labels), ap, 10);
        Assert.Equal(BinaryMetrics.RocAuc(scores, labels), roc, 10);

        // Group 0 twice, group 4 not at all: the same as the rows written out that way.
        var copiedScores = new List<float>();
        var copiedLabels = new List<bool>();
        for (var i = 0; i < n; i++)
        {
            var times = groups[i] == 0 ? 2 : groups[i] == 4 ? 0 : 1;
            for (var t = 0; t < times; t++)
            {
                copiedScores.Add(scores[i]);
                copiedLabels.Add(labels[i]);
            }
        }

        var (wap, wroc) = BinaryMetrics.WeightedAucs(scores, labels, order, groups, [2, 1, 1, 1, 0]);
        Assert.Equal(BinaryMetrics.AveragePrecision([.. copiedScores], [.. copiedLabels]), wap, 10);
        Assert.Equal(BinaryMetrics.RocAuc([.. copiedScores], [.. copiedLabels]), wroc, 10);
    }

    [Fact]
    public void Bootstrap_intervals_are_ordered_reproducible_and_collapse_on_one_day()
    {
        float[] scores = [0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f, 0.3f, 0.2f];
        bool[] labels = [true, false, true, false, true, false, false, true];
        int[] days = [0, 0, 1, 1, 2, 2, 3, 3];
        int[] cards = [0, 1, 2, 3, 4, 5, 6, 7];
        var perDay = DailyMetrics.CardPrecisionAtK(scores, labels, days, cards, 1);

        var a = DailyMetrics.Bootstrap(scores, labels, days, perDay, 300, 0.9, seed: 5);
        var b = DailyMetrics.Bootstrap(scores, labels, days, perDay, 300, 0.9, seed: 5);
        Assert.Equal(a, b);
        Assert.True(a.PrAuc.Low <= a.PrAuc.High && a.PrAuc.Low < a.PrAuc.High, $"{a.PrAuc}");
        Assert.InRange(a.CardPrecision.Low, 0, 1);
        Assert.True(a.CardPrecision.Low < a.CardPrecision.High);

        int[] oneDay = [0, 0, 0, 0, 0, 0, 0, 0];
        var single = DailyMetrics.Bootstrap(scores, labels, oneDay, DailyMetrics.CardPrecisionAtK(scores, labels, oneDay, cards, 1), 50, 0.95, seed: 1);
        Assert.Equal(BinaryMetrics.AveragePrecision(scores, labels), single.PrAuc.Low, 10);
        Assert.Equal(single.PrAuc.Low, single.PrAuc.High, 12);
    }

    [Fact]
    public void At_recall_finds_the_fewest_false_positives_beside_forced_flags()
    {
        // Forced (a decline rule) catches row 5; the model must add one more fraud of 3 for recall 2/3.
        float[] scores = [0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.1f];
        bool[] labels = [false, true, false, true, false, true];
        bool[] forced = [false, false, false, false, false, true];

        var at = BinaryMetrics.AtRecall(scores, labels, forced, 2.0 / 3);
        Assert.Equal(0.8, at.Threshold, 6);
        Assert.Equal(2, at.TruePositives);
        Assert.Equal(1, at.FalsePositives);

        // The forced flags alone reach recall 1/3: the model flags nothing.
        var alone = BinaryMetrics.AtRecall(scores, labels, forced, 1.0 / 3);
        Assert.True(alone.Threshold > scores[0]);
        Assert.Equal(0, alone.FalsePositives);
    }
}
