namespace FraudStream.Rules.Runtime;

/// <summary>
/// Per-rule hit counts of one worker thread (shadow rules included). Single writer: give each worker its
/// own instance. Counts restart when the worker starts evaluating a different ruleset; readers on other
/// threads may see slightly stale numbers, never torn ones (64-bit reads).
/// </summary>
public sealed class RuleHitCounters
{
    private long[] _hits = [];

    /// <summary>The ruleset these counts belong to (null before the first evaluation).</summary>
    public Ruleset? Ruleset { get; private set; }

    public long Evaluations { get; internal set; }

    public long this[int ruleIndex] => Volatile.Read(ref _hits[ruleIndex]);

    public long HitsOf(string ruleName)
    {
        var ruleset = Ruleset;
        var index = ruleset?.IndexOf(ruleName) ?? -1;
        return index < 0 ? 0 : this[index];
    }

    internal void Attach(Ruleset ruleset)
    {
        if (!ReferenceEquals(Ruleset, ruleset))
        {
            _hits = new long[ruleset.Rules.Count];
            Evaluations = 0;
            Ruleset = ruleset;
        }
    }

    internal void Hit(int ruleIndex) => _hits[ruleIndex]++;
}
