using FraudStream.Core.Contracts;

namespace FraudStream.Service.Demo;

/// <summary>
/// The decisions read back from the decisions topic, checked against what was published: every transaction (warm-up
/// included) decided exactly once, and the timed stream's decisions judged against the simulator's truth.
/// </summary>
internal sealed class DemoOutcomes
{
    private long _truePositives;
    private long _falsePositives;
    private long _legit;

    private DemoOutcomes()
    {
    }

    /// <summary>Published transactions with no decision read back.</summary>
    public long Missing { get; private set; }

    /// <summary>Transactions decided more than once.</summary>
    public long DecidedMoreThanOnce { get; private set; }

    /// <summary>Warm-up transactions decided (they count for exactly-once, not for the timed stream).</summary>
    public long WarmupDecided { get; private set; }

    public DemoReport.DecisionCounts Decisions { get; } = new();

    public long Frauds { get; private set; }

    /// <param name="truth">The timed stream's transactions: id → fraud.</param>
    /// <param name="warmupIds">The warm-up's transactions.</param>
    /// <param name="decided">The tally: id → (last decision, how many decisions were seen).</param>
    public static DemoOutcomes Count(IdBook<bool> truth, IReadOnlyCollection<string> warmupIds,
        IdBook<(DecisionKind Kind, int Count)> decided)
    {
        var outcomes = new DemoOutcomes();
        foreach (var (id, fraud) in truth.All())
        {
            if (outcomes.TryFind(decided, id, out var decision))
            {
                outcomes.Judge(decision, fraud);
            }
        }

        foreach (var id in warmupIds)
        {
            if (outcomes.TryFind(decided, id, out _))
            {
                outcomes.WarmupDecided++;
            }
        }

        return outcomes;
    }

    public DemoReport.QualityReport Quality()
    {
        var flagged = _truePositives + _falsePositives;
        return new DemoReport.QualityReport
        {
            Frauds = Frauds,
            Flagged = flagged,
            Precision = flagged == 0 ? 0 : Math.Round((double)_truePositives / flagged, 4),
            Recall = Frauds == 0 ? 0 : Math.Round((double)_truePositives / Frauds, 4),
            Fpr = _legit == 0 ? 0 : Math.Round((double)_falsePositives / _legit, 5),
        };
    }

    /// <summary>The id's decision, counting it as missing when none was read and as repeated when read more than once.</summary>
    private bool TryFind(IdBook<(DecisionKind Kind, int Count)> decided, string id, out DecisionKind decision)
    {
        if (!decided.TryGetValue(id, out var d))
        {
            Missing++;
            decision = default;
            return false;
        }

        if (d.Count > 1)
        {
            DecidedMoreThanOnce++;
        }

        decision = d.Kind;
        return true;
    }

    private void Judge(DecisionKind decision, bool fraud)
    {
        switch (decision)
        {
            case DecisionKind.Approve: Decisions.Approve++; break;
            case DecisionKind.Review: Decisions.Review++; break;
            default: Decisions.Decline++; break;
        }

        var flagged = decision != DecisionKind.Approve;
        if (fraud)
        {
            Frauds++;
            _truePositives += flagged ? 1 : 0;
        }
        else
        {
            _legit++;
            _falsePositives += flagged ? 1 : 0;
        }
    }
}
