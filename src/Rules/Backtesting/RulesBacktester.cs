using FraudStream.Core.Contracts;
using FraudStream.Rules.Runtime;

namespace FraudStream.Rules.Backtesting;

/// <summary>Model thresholds the recorded scores are judged against.</summary>
public sealed record BacktestOptions(float ReviewThreshold, float DeclineThreshold);

/// <summary>
/// Replays rows through a candidate ruleset and, optionally, the current one: per-rule hits with
/// precision and recall against labels, decision counts, and how many decisions would change.
/// Single-threaded; streams the rows, so any number fits in memory.
/// </summary>
public static class RulesBacktester
{
    public static BacktestReport Run(IEnumerable<BacktestRow> rows, Ruleset candidate, Ruleset? current, BacktestOptions options)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(options);
        var ruleCount = candidate.Rules.Count;
        var hits = new long[ruleCount];
        var labeledHits = new long[ruleCount];
        var fraudHits = new long[ruleCount];
        var decisions = new long[3];
        var currentDecisions = new long[3];
        var changes = new long[3, 3];
        long transactions = 0, labeled = 0, frauds = 0, modelDecisions = 0;
        long flaggedLabeled = 0, flaggedFraud = 0, currentFlaggedLabeled = 0, currentFlaggedFraud = 0;

        var context = new RuleContext { ReviewThreshold = options.ReviewThreshold, DeclineThreshold = options.DeclineThreshold };
        var reasons = new List<string>(16);
        var counters = new RuleHitCounters();
        var snapshot = new long[ruleCount];
        foreach (var row in rows)
        {
            context.Transaction = row.Transaction;
            context.Features = row.Features;
            context.Score = row.Score;
            reasons.Clear();
            SnapshotHits(counters, snapshot);
            var decision = candidate.Evaluate(context, reasons, counters);
            transactions++;
            decisions[(int)decision]++;
            if (reasons.Count > 0 && reasons[^1] is Ruleset.ModelDeclineReason or Ruleset.ModelReviewReason)
            {
                modelDecisions++;
            }

            var isFraud = row.Fraud;
            if (isFraud is { } fraud)
            {
                labeled++;
                if (fraud)
                {
                    frauds++;
                }
            }

            for (var i = 0; i < ruleCount; i++)
            {
                if (counters[i] == snapshot[i])
                {
                    continue;
                }

                hits[i]++;
                if (isFraud is { } f)
                {
                    labeledHits[i]++;
                    if (f)
                    {
                        fraudHits[i]++;
                    }
                }
            }

            var flagged = decision != DecisionKind.Approve;
            if (flagged && isFraud is { } lf)
            {
                flaggedLabeled++;
                if (lf)
                {
                    flaggedFraud++;
                }
            }

            if (current is not null)
            {
                reasons.Clear();
                var old = current.Evaluate(context, reasons, null);
                currentDecisions[(int)old]++;
                changes[(int)old, (int)decision]++;
                if (old != DecisionKind.Approve && isFraud is { } cf)
                {
                    currentFlaggedLabeled++;
                    if (cf)
                    {
                        currentFlaggedFraud++;
                    }
                }
            }
        }

        var ruleResults = new List<RuleBacktestResult>(ruleCount);
        for (var i = 0; i < ruleCount; i++)
        {
            var info = candidate.Rules[i];
            ruleResults.Add(new RuleBacktestResult(
                info.Name,
                info.Action.ToWire(),
                info.Shadow,
                hits[i],
                labeledHits[i],
                fraudHits[i],
                Ratio(fraudHits[i], labeledHits[i]),
                Ratio(fraudHits[i], frauds)));
        }

        var changeList = new List<DecisionChange>();
        long changed = 0;
        if (current is not null)
        {
            for (var from = 0; from < 3; from++)
            {
                for (var to = 0; to < 3; to++)
                {
                    if (from != to && changes[from, to] > 0)
                    {
                        changed += changes[from, to];
                        changeList.Add(new DecisionChange(((DecisionKind)from).ToWire(), ((DecisionKind)to).ToWire(), changes[from, to]));
                    }
                }
            }
        }

        return new BacktestReport(
            candidate.Version,
            current?.Version,
            transactions,
            labeled,
            frauds,
            new DecisionCounts(decisions[0], decisions[1], decisions[2]),
            current is null ? null : new DecisionCounts(currentDecisions[0], currentDecisions[1], currentDecisions[2]),
            current is null ? null : changed,
            changeList,
            Ratio(flaggedFraud, flaggedLabeled),
            Ratio(flaggedFraud, frauds),
            current is null ? null : Ratio(currentFlaggedFraud, currentFlaggedLabeled),
            current is null ? null : Ratio(currentFlaggedFraud, frauds),
            modelDecisions,
            ruleResults);
    }

    /// <summary>Counts before this row; a rule hit this row when its count moved.</summary>
    private static void SnapshotHits(RuleHitCounters counters, long[] snapshot)
    {
        if (counters.Ruleset is null)
        {
            return;
        }

        for (var i = 0; i < snapshot.Length; i++)
        {
            snapshot[i] = counters[i];
        }
    }

    private static double? Ratio(long numerator, long denominator) =>
        denominator == 0 ? null : Math.Round((double)numerator / denominator, 6);
}
