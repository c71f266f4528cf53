namespace FraudStream.Rules.Runtime;

/// <summary>
/// Per-rule hit counts of one worker thread (shadow rules included). Single writer: give each worker its
/// own instance. Counts restart when the worker starts evaluating a different ruleset; readers on other
/// threads may see slightly stale numbers, never torn ones, and never counts of one ruleset attributed
/// to another (the ruleset and its counts are swapped as one object).
/// </summary>
public sealed class RuleHitCounters
{
    private Slot? _slot;

    /// <summary>The ruleset these counts belong to (null before the first evaluation).</summary>
    public Ruleset? Ruleset => Volatile.Read(ref _slot)?.Ruleset;

    public long Evaluations => Volatile.Read(ref _slot)?.Evaluations ?? 0;

    public long this[int ruleIndex]
    {
        get
        {
            var slot = Volatile.Read(ref _slot) ?? throw new InvalidOperationException("nothing evaluated yet");
            return Volatile.Read(ref slot.Hits[ruleIndex]);
        }
    }

    public long HitsOf(string ruleName)
    {
        var slot = Volatile.Read(ref _slot);
        var index = slot?.Ruleset.IndexOf(ruleName) ?? -1;
        return index < 0 ? 0 : Volatile.Read(ref slot!.Hits[index]);
    }

    /// <summary>Adds this worker's counts to <paramref name="totals"/> if they belong to <paramref name="ruleset"/>.</summary>
    public bool AddTo(Ruleset ruleset, long[] totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        var slot = Volatile.Read(ref _slot);
        if (slot is null || !ReferenceEquals(slot.Ruleset, ruleset))
        {
            return false;
        }

        for (var i = 0; i < slot.Hits.Length && i < totals.Length; i++)
        {
            totals[i] += Volatile.Read(ref slot.Hits[i]);
        }

        return true;
    }

    internal void Attach(Ruleset ruleset)
    {
        var slot = _slot;
        if (slot is null || !ReferenceEquals(slot.Ruleset, ruleset))
        {
            Volatile.Write(ref _slot, new Slot(ruleset));
        }
    }

    /// <summary>Only after <see cref="Attach"/>.</summary>
    internal void Hit(int ruleIndex) => _slot!.Hits[ruleIndex]++;

    internal void CountEvaluation() => _slot!.Evaluations++;

    private sealed class Slot(Ruleset ruleset)
    {
        public readonly Ruleset Ruleset = ruleset;
        public readonly long[] Hits = new long[ruleset.Rules.Count];
        public long Evaluations;
    }
}
