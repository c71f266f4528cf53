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
        var replay = new Replay(candidate, current, options);
        foreach (var row in rows)
        {
            replay.Add(row);
        }

        return replay.Report();
    }

    private static double? Ratio(long numerator, long denominator) =>
        denominator == 0 ? null : Math.Round((double)numerator / denominator, 6);

    /// <summary>The running totals of one backtest: labels, the candidate's per-rule hits, each ruleset's decisions.</summary>
    private sealed class Replay(Ruleset candidate, Ruleset? current, BacktestOptions options)
    {
        private readonly RuleContext _context = new() { ReviewThreshold = options.ReviewThreshold, DeclineThreshold = options.DeclineThreshold };
        private readonly List<string> _reasons = new(16);
        private readonly RuleHits _hits = new(candidate.Rules.Count);
        private readonly DecisionTotals _candidate = new();
        private readonly DecisionTotals? _current = current is null ? null : new();
        private readonly long[,] _changes = new long[3, 3];
        private long _transactions;
        private long _labeled;
        private long _frauds;
        private long _modelDecisions;

        public void Add(BacktestRow row)
        {
            _context.Transaction = row.Transaction;
            _context.Features = row.Features;
            _context.Score = row.Score;
            _transactions++;
            CountLabel(row.Fraud);
            var decision = EvaluateCandidate(row.Fraud);
            _candidate.Add(decision, row.Fraud);
            if (current is not null)
            {
                _reasons.Clear();
                var old = current.Evaluate(_context, _reasons, null);
                _current!.Add(old, row.Fraud);
                _changes[(int)old, (int)decision]++;
            }
        }

        private void CountLabel(bool? fraud)
        {
            if (fraud is { } isFraud)
            {
                _labeled++;
                _frauds += isFraud ? 1 : 0;
            }
        }

        /// <summary>The candidate's decision, with the rules that hit and whether the model decided it.</summary>
        private DecisionKind EvaluateCandidate(bool? fraud)
        {
            _reasons.Clear();
            _hits.BeforeRow();
            var decision = candidate.Evaluate(_context, _reasons, _hits.Counters);
            if (_reasons.Count > 0 && _reasons[^1] is Ruleset.ModelDeclineReason or Ruleset.ModelReviewReason)
            {
                _modelDecisions++;
            }

            _hits.AfterRow(fraud);
            return decision;
        }

        public BacktestReport Report()
        {
            var (changed, changes) = Changes();
            return new BacktestReport(
                candidate.Version,
                current?.Version,
                _transactions,
                _labeled,
                _frauds,
                _candidate.Counts(),
                _current?.Counts(),
                changed,
                changes,
                _candidate.Precision(),
                _candidate.Recall(_frauds),
                _current?.Precision(),
                _current?.Recall(_frauds),
                _modelDecisions,
                _hits.Results(candidate, _frauds));
        }

        /// <summary>Decisions that moved between the current and the candidate rules; none without current rules.</summary>
        private (long? Changed, List<DecisionChange> Changes) Changes()
        {
            var list = new List<DecisionChange>();
            if (current is null)
            {
                return (null, list);
            }

            long changed = 0;
            for (var from = 0; from < 3; from++)
            {
                for (var to = 0; to < 3; to++)
                {
                    if (from != to && _changes[from, to] > 0)
                    {
                        changed += _changes[from, to];
                        list.Add(new DecisionChange(((DecisionKind)from).ToWire(), ((DecisionKind)to).ToWire(), _changes[from, to]));
                    }
                }
            }

            return (changed, list);
        }
    }

    /// <summary>Per-rule hits of the candidate: a rule hit a row when its counter moved while the row was evaluated.</summary>
    private sealed class RuleHits(int ruleCount)
    {
        private readonly long[] _before = new long[ruleCount];
        private readonly long[] _hits = new long[ruleCount];
        private readonly long[] _labeledHits = new long[ruleCount];
        private readonly long[] _fraudHits = new long[ruleCount];

        public RuleHitCounters Counters { get; } = new();

        /// <summary>Counts before this row.</summary>
        public void BeforeRow()
        {
            if (Counters.Ruleset is null)
            {
                return;
            }

            for (var i = 0; i < _before.Length; i++)
            {
                _before[i] = Counters[i];
            }
        }

        public void AfterRow(bool? fraud)
        {
            for (var i = 0; i < _before.Length; i++)
            {
                if (Counters[i] == _before[i])
                {
                    continue;
                }

                _hits[i]++;
                if (fraud is { } isFraud)
                {
                    _labeledHits[i]++;
                    _fraudHits[i] += isFraud ? 1 : 0;
                }
            }
        }

        public List<RuleBacktestResult> Results(Ruleset candidate, long frauds)
        {
            var results = new List<RuleBacktestResult>(_hits.Length);
            for (var i = 0; i < _hits.Length; i++)
            {
                var info = candidate.Rules[i];
                results.Add(new RuleBacktestResult(
                    info.Name,
                    info.Action.ToWire(),
                    info.Shadow,
                    _hits[i],
                    _labeledHits[i],
                    _fraudHits[i],
                    Ratio(_fraudHits[i], _labeledHits[i]),
                    Ratio(_fraudHits[i], frauds)));
            }

            return results;
        }
    }

    /// <summary>One ruleset's decisions, and of its flagged (review or decline) labeled rows, the frauds.</summary>
    private sealed class DecisionTotals
    {
        private readonly long[] _decisions = new long[3];
        private long _flaggedLabeled;
        private long _flaggedFraud;

        public void Add(DecisionKind decision, bool? fraud)
        {
            _decisions[(int)decision]++;
            if (decision != DecisionKind.Approve && fraud is { } isFraud)
            {
                _flaggedLabeled++;
                _flaggedFraud += isFraud ? 1 : 0;
            }
        }

        public DecisionCounts Counts() => new(_decisions[0], _decisions[1], _decisions[2]);

        public double? Precision() => Ratio(_flaggedFraud, _flaggedLabeled);

        public double? Recall(long frauds) => Ratio(_flaggedFraud, frauds);
    }
}
