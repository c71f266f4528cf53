using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;
using FraudStream.Rules.Runtime;

namespace FraudStream.Rules.Stage;

/// <summary>
/// The analysts' rules behind the pipeline. The provider swaps whole rulesets atomically; a worker reads
/// <see cref="RulesetProvider.Current"/> once per transaction, so no transaction sees half a ruleset.
/// </summary>
public sealed class RulesStage(RulesetProvider provider) : IRulesStage, IRulesStatus, IDisposable
{
    public string RulesetVersion => provider.Current.Version;

    public RulesetProvider Provider => provider;

    /// <summary>The watched rules file (null for rules made from text).</summary>
    public string? RulesFile => provider.Path;

    /// <summary>Why the last reload was rejected (the previous rules kept running); null once a later reload succeeded.</summary>
    public RulesReloadFailure? LastRejectedReload => provider.LastReloadErrors;

    /// <summary>The last rejected reload's diagnostics, as the dashboard lists them; empty once a later reload succeeded.</summary>
    public IReadOnlyList<RulesReloadError> ReloadErrors
    {
        get
        {
            var failure = provider.LastReloadErrors;
            if (failure is null)
            {
                return [];
            }

            var list = new List<RulesReloadError>();
            foreach (var d in failure.Diagnostics)
            {
                list.Add(new RulesReloadError(failure.At, $"{provider.Path}:{d}"));
            }

            return list;
        }
    }

    /// <summary>The provider remembers each worker, so its hit counters reach <see cref="HitTotals"/>.</summary>
    public IRulesWorker CreateWorker() => provider.CreateWorker();

    public IReadOnlyList<RuleHitTotal> HitTotals() => provider.HitTotals();

    public void Dispose() => provider.Dispose();
}
