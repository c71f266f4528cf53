using FraudStream.Training.Metrics;

namespace FraudStream.Training.Tests;

public class BinaryMetricsTests
{
    // Ranked: 0.9 P, 0.8 N, 0.7 P, 0.6 N, 0.5 P, 0.4 N  (3 positives, 3 negatives)
    private static readonly float[] Scores = [0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f];
    private static readonly bool[] Labels = [true, false, true, false, true, false];

    [Fact]
    public void Average_precision_sums_precision_at_each_recall_step()
    {
        // (1/3)(1/1) + (1/3)(2/3) + (1/3)(3/5) = 0.75555...
        var expected = ((1.0 / 1) + (2.0 / 3) + (3.0 / 5)) / 3;
        Assert.Equal(expected, BinaryMetrics.AveragePrecision(Scores, Labels), 12);
    }

    [Fact]
    public void Roc_auc_counts_positive_negative_pairs_in_order()
    {
        // Pairs (P above N): P0.9 beats 3, P0.7 beats 2, P0.5 beats 1 = 6 of 9.
        Assert.Equal(6.0 / 9, BinaryMetrics.RocAuc(Scores, Labels), 12);
    }

    [Fact]
    public void Tied_scores_count_half_in_roc_auc_and_as_one_step_in_average_precision()
    {
        float[] scores = [0.5f, 0.5f, 0.1f];
        bool[] labels = [true, false, false];

        Assert.Equal((0.5 + 1) / 2, BinaryMetrics.RocAuc(scores, labels), 12);
        Assert.Equal(0.5, BinaryMetrics.AveragePrecision(scores, labels), 12);
    }

    [Fact]
    public void Perfect_and_reversed_rankings_give_the_extremes()
    {
        float[] scores = [0.9f, 0.8f, 0.2f, 0.1f];
        Assert.Equal(1.0, BinaryMetrics.RocAuc(scores, [true, true, false, false]), 12);
        Assert.Equal(0.0, BinaryMetrics.RocAuc(scores, [false, false, true, true]), 12);
        Assert.Equal(1.0, BinaryMetrics.AveragePrecision(scores, [true, true, false, false]), 12);
    }

    [Fact]
    public void Recall_at_fpr_takes_the_lowest_threshold_within_the_budget()
    {
        // FPR 1/3 allows one negative: threshold 0.7 flags 0.9, 0.8, 0.7 -> recall 2/3.
        Assert.Equal(2.0 / 3, BinaryMetrics.RecallAtFpr(Scores, Labels, 1.0 / 3), 12);
        Assert.Equal(0.7, BinaryMetrics.ThresholdForFpr(Scores, Labels, 1.0 / 3), 6);
        // FPR 0 allows none: only 0.9.
        Assert.Equal(1.0 / 3, BinaryMetrics.RecallAtFpr(Scores, Labels, 0), 12);
        // Everything allowed.
        Assert.Equal(1.0, BinaryMetrics.RecallAtFpr(Scores, Labels, 1), 12);
    }

    [Fact]
    public void Threshold_above_the_top_score_when_the_top_is_a_negative_and_no_false_positive_is_allowed()
    {
        float[] scores = [0.9f, 0.3f];
        bool[] labels = [false, true];
        var threshold = BinaryMetrics.ThresholdForFpr(scores, labels, 0);

        Assert.True(threshold > scores[0]);
        Assert.Equal(0, BinaryMetrics.At(scores, labels, threshold).TruePositives + BinaryMetrics.At(scores, labels, threshold).FalsePositives);
    }

    [Fact]
    public void Precision_recall_and_fpr_at_a_threshold()
    {
        var m = BinaryMetrics.At(Scores, Labels, 0.6);

        Assert.Equal(2, m.TruePositives);
        Assert.Equal(2, m.FalsePositives);
        Assert.Equal(0.5, m.Precision, 12);
        Assert.Equal(2.0 / 3, m.Recall, 12);
        Assert.Equal(2.0 / 3, m.FalsePositiveRate, 12);
    }

    [Fact]
    public void Flags_give_the_same_counts_as_a_threshold()
    {
        var m = BinaryMetrics.OfFlags([true, true, false, false, true, false], Labels);

        Assert.Equal(2, m.TruePositives);
        Assert.Equal(1, m.FalsePositives);
        Assert.Equal(1.0 / 3, m.FalsePositiveRate, 12);
    }

    [Fact]
    public void Nothing_flagged_has_undefined_precision()
    {
        Assert.True(double.IsNaN(BinaryMetrics.At(Scores, Labels, 2).Precision));
    }

    [Fact]
    public void Brier_score_is_the_mean_squared_error_of_the_probability()
    {
        Assert.Equal(((0.9 - 1) * (0.9 - 1) + (0.2 * 0.2) + (0.4 * 0.4) + ((0.6 - 1) * (0.6 - 1))) / 4,
            BinaryMetrics.BrierScore([0.9f, 0.2f, 0.4f, 0.6f], [true, false, false, true]), 6);
        Assert.Equal(0, BinaryMetrics.BrierScore([1f, 0f], [true, false]), 12);
    }

    [Fact]
    public void Calibration_error_weighs_each_bin_by_its_rows()
    {
        // Bin [0.1, 0.2): 4 rows scored 0.15, one fraud (share 0.25): |0.15 - 0.25| = 0.10.
        // Bin [0.9, 1.0]: 2 rows scored 0.95, both fraud: |0.95 - 1| = 0.05.
        float[] scores = [0.15f, 0.15f, 0.15f, 0.15f, 0.95f, 0.95f];
        bool[] labels = [true, false, false, false, true, true];
        Assert.Equal(((4 * 0.10) + (2 * 0.05)) / 6, BinaryMetrics.ExpectedCalibrationError(scores, labels), 6);

        // Perfectly calibrated bins: no error; scores twice too high: the error shows it.
        Assert.Equal(0, BinaryMetrics.ExpectedCalibrationError([0.5f, 0.5f], [true, false]), 6);
        Assert.Equal(0.5, BinaryMetrics.ExpectedCalibrationError([1f, 1f], [true, false]), 6);
    }
}
