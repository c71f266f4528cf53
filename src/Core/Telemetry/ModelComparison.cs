namespace FraudStream.Core.Telemetry;

/// <summary>
/// The sums a champion/challenger comparison is computed from, over the stored decisions that carry a challenger
/// score: additive, so the store sums them in one query and the live view and <c>models compare</c> read the same
/// ones. "Flagged" is a review or a decline. Labels count only where one arrived (fraud or not).
/// </summary>
public sealed record ModelComparisonCounts
{
    public long Compared { get; init; }
    public long Agreed { get; init; }

    /// <summary>Rows where both scores are numbers: the Pearson sums are over these.</summary>
    public long Scored { get; init; }
    public double SumChampion { get; init; }
    public double SumChallenger { get; init; }
    public double SumChampionSquared { get; init; }
    public double SumChallengerSquared { get; init; }
    public double SumProduct { get; init; }
    public long ChampionReview { get; init; }
    public long ChampionDecline { get; init; }
    public long ChallengerReview { get; init; }
    public long ChallengerDecline { get; init; }
    public long Labelled { get; init; }
    public long LabelledFraud { get; init; }
    public long ChampionFlaggedLabelled { get; init; }
    public long ChampionFlaggedFraud { get; init; }
    public long ChallengerFlaggedLabelled { get; init; }
    public long ChallengerFlaggedFraud { get; init; }
}

/// <summary>One model's side of a comparison: its (would-be) review and decline rates, and its quality on the labelled rows.</summary>
public sealed record ModelSide(double ReviewRate, double DeclineRate, double? Precision, double? Recall);

/// <summary>
/// Champion against challenger on the same transactions: decision agreement, Pearson correlation of the scores, each
/// side's rates and precision/recall on the labelled ones (null where undefined: nothing flagged, no fraud labelled).
/// The one implementation behind the dashboard, <c>/metrics</c> and <c>fraudstream models compare</c>.
/// </summary>
public sealed record ModelComparison(
    long Compared, double Agreement, double? ScoreCorrelation, ModelSide Champion, ModelSide Challenger, long Labelled, long LabelledFraud)
{
    public static ModelComparison From(ModelComparisonCounts c)
    {
        ArgumentNullException.ThrowIfNull(c);
        double Rate(long part) => c.Compared == 0 ? 0 : (double)part / c.Compared;
        double? Ratio(long part, long whole) => whole == 0 ? null : (double)part / whole;
        return new ModelComparison(
            c.Compared,
            Rate(c.Agreed),
            Pearson(c),
            new ModelSide(Rate(c.ChampionReview), Rate(c.ChampionDecline), Ratio(c.ChampionFlaggedFraud, c.ChampionFlaggedLabelled),
                Ratio(c.ChampionFlaggedFraud, c.LabelledFraud)),
            new ModelSide(Rate(c.ChallengerReview), Rate(c.ChallengerDecline), Ratio(c.ChallengerFlaggedFraud, c.ChallengerFlaggedLabelled),
                Ratio(c.ChallengerFlaggedFraud, c.LabelledFraud)),
            c.Labelled,
            c.LabelledFraud);
    }

    /// <summary>From the sums; null with fewer than two rows or a constant score on either side.</summary>
    private static double? Pearson(ModelComparisonCounts c)
    {
        var n = (double)c.Scored;
        if (n < 2)
        {
            return null;
        }

        var covariance = c.SumProduct - (c.SumChampion * c.SumChallenger / n);
        var championVariance = c.SumChampionSquared - (c.SumChampion * c.SumChampion / n);
        var challengerVariance = c.SumChallengerSquared - (c.SumChallenger * c.SumChallenger / n);
        if (championVariance <= 0 || challengerVariance <= 0)
        {
            return null;
        }

        return Math.Clamp(covariance / Math.Sqrt(championVariance * challengerVariance), -1, 1);
    }
}
