using FraudStream.Core.Contracts;
using FraudStream.Dashboard.Snapshots;
using FraudStream.Pipeline.Stages;
using FraudStream.Rules.Runtime;
using FraudStream.Service.Dashboard;

namespace FraudStream.Service.Stages;

/// <summary>
/// The analysts' rules behind the pipeline. The provider swaps whole rulesets atomically; a worker reads
/// <see cref="RulesetProvider.Current"/> once per transaction, so no transaction sees half a ruleset.
/// </summary>
public sealed class RulesStage(RulesetProvider provider) : IRulesStage, IRulesStatus, IDisposable
{
    public string RulesetVersion => provider.Current.Version;

    public RulesetProvider Provider => provider;

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

    public IRulesWorker CreateWorker() => new Worker(provider);

    public void Dispose() => provider.Dispose();

    private sealed class Worker(RulesetProvider provider) : IRulesWorker
    {
        private readonly RuleContext _context = new();
        private readonly RuleHitCounters _hits = new();

        public DecisionKind Decide(Transaction tx, float[] features, float score, float reviewThreshold, float declineThreshold, List<string> reasons)
        {
            _context.Transaction = tx;
            _context.Features = features;
            _context.Score = score;
            _context.ReviewThreshold = reviewThreshold;
            _context.DeclineThreshold = declineThreshold;
            return provider.Current.Evaluate(_context, reasons, _hits);
        }
    }
}
