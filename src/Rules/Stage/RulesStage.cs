using FraudStream.Core.Stages;
using FraudStream.Rules.Runtime;

namespace FraudStream.Rules.Stage;

/// <summary>
/// The analysts' rules behind the pipeline. The provider swaps whole rulesets atomically; a worker reads
/// <see cref="RulesetProvider.Current"/> once per transaction, so no transaction sees half a ruleset.
/// </summary>
public sealed class RulesStage(RulesetProvider provider) : IRulesStage, IDisposable
{
    public string RulesetVersion => provider.Current.Version;

    public RulesetProvider Provider => provider;

    /// <summary>The watched rules file (null for rules made from text).</summary>
    public string? RulesFile => provider.Path;

    /// <summary>Why the last reload was rejected (the previous rules kept running); null once a later reload succeeded.</summary>
    public RulesReloadFailure? LastRejectedReload => provider.LastReloadErrors;

    /// <summary>The provider remembers each worker, so its hit counters reach <see cref="HitTotals"/>.</summary>
    public IRulesWorker CreateWorker() => provider.CreateWorker();

    public IReadOnlyList<RuleHitTotal> HitTotals() => provider.HitTotals();

    public void Dispose() => provider.Dispose();
}
