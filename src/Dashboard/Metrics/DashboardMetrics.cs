using System.Globalization;
using FraudStream.Core.Contracts;
using FraudStream.Dashboard.Snapshots;
using Prometheus;

namespace FraudStream.Dashboard.Metrics;

/// <summary>
/// Prometheus metrics fed from published snapshots, never from the per-transaction path: stage latency
/// histograms take each second's value→count pairs with <c>Observe(value, count)</c>, counters follow the
/// snapshot totals with <c>IncTo</c>, gauges take the latest values. Call <see cref="Apply"/> from one thread.
/// </summary>
public sealed class DashboardMetrics
{
    private const double MillisecondsPerSecond = 1000.0;

    private readonly Histogram _stageLatency;
    private readonly Gauge _endToEndQuantile;
    private readonly Gauge _withinTarget;
    private readonly Gauge _target;
    private readonly Counter _decisions;
    private readonly Counter _deadLetters;
    private readonly Counter _duplicates;
    private readonly Gauge _stateEntries;
    private readonly Counter _stateEvicted;
    private readonly Counter _transactions;
    private readonly Gauge _tps;
    private readonly ReportedLabels _lag;
    private readonly Counter _rulesFired;
    private readonly ReportedLabels _ruleHits;
    private readonly Gauge _modelAvailable;
    private readonly ReportedLabels _versions;
    private readonly Gauge _rulesReloadErrors;
    private readonly ReportedLabels _instance;
    private readonly Gauge _partitionsDecided;
    private readonly Gauge _partitionsFollowed;
    private readonly Gauge _partitionsReplaying;
    private readonly Counter _checkpoints;
    private readonly Gauge _checkpointAge;
    private readonly Gauge _checkpointBytes;
    private readonly Gauge _checkpointCapture;
    private readonly Gauge _restoredSeq;
    private readonly Gauge _restore;
    private readonly Counter _challengerScored;
    private readonly Counter _challengerSkipped;
    private readonly ReportedLabels _challengerInfo;
    private readonly Gauge _challengerCompute;
    private readonly ReportedLabels _comparison;
    private readonly ReportedLabels _comparisonRates;

    public DashboardMetrics(CollectorRegistry registry, double targetMs)
    {
        ArgumentNullException.ThrowIfNull(registry);
        Registry = registry;
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);

        _stageLatency = factory.CreateHistogram(
            "fraudstream_stage_latency_seconds",
            "Latency per pipeline stage (end_to_end is the whole path), from the pipeline's per-second recordings.",
            ["stage"],
            new HistogramConfiguration { Buckets = LatencyBuckets(targetMs) });
        _endToEndQuantile = factory.CreateGauge(
            "fraudstream_end_to_end_latency_seconds",
            "Exact end-to-end latency quantiles of the last second.",
            ["quantile"]);
        _withinTarget = factory.CreateGauge(
            "fraudstream_end_to_end_within_target_ratio",
            "Share of transactions decided within the latency target.",
            ["window"]);
        _target = factory.CreateGauge("fraudstream_latency_target_seconds", "The end-to-end latency target.");
        _decisions = factory.CreateCounter("fraudstream_decisions_total", "Decisions emitted.", ["decision"]);
        _deadLetters = factory.CreateCounter("fraudstream_dead_letters_total", "Messages dead-lettered.", ["reason"]);
        _duplicates = factory.CreateCounter(
            "fraudstream_duplicates_suppressed_total", "Redelivered transactions not decided twice.");
        _stateEntries = factory.CreateGauge(
            "fraudstream_feature_state_entries", "Feature state held: cards (all partitions), merchants and devices (the graph).", ["kind"]);
        _stateEvicted = factory.CreateCounter(
            "fraudstream_feature_state_evicted_total",
            "Feature state dropped because its cap was reached (Features:MaxCardsPerPartition, Features:MaxGraphNodes): cards, and merchants and devices together.",
            ["kind"]);
        _transactions = factory.CreateCounter(
            "fraudstream_transactions_total", "Transactions consumed (in) and decided (out).", ["direction"]);
        _tps = factory.CreateGauge(
            "fraudstream_throughput_per_second", "Transactions per second over the last second.", ["direction"]);
        _lag = new ReportedLabels(factory.CreateGauge(
            "fraudstream_consumer_lag_messages", "Messages behind the partition end.", ["topic", "partition"]));
        _rulesFired = factory.CreateCounter("fraudstream_rules_fired_total", "Times each top rule fired.", ["rule"]);
        _ruleHits = new ReportedLabels(factory.CreateGauge(
            "fraudstream_rule_hits",
            "Hits of each rule of the ruleset in force since it was loaded, shadow rules included (a reload starts them at 0).",
            ["rule", "action", "shadow"]));
        _modelAvailable = factory.CreateGauge(
            "fraudstream_model_available", "1 when a model scores, 0 when decisions run on rules alone.");
        _versions = new ReportedLabels(factory.CreateGauge(
            "fraudstream_versions_info", "Model, ruleset and scorer device in use (value is always 1).",
            ["model_version", "ruleset_version", "device"]));
        _rulesReloadErrors = factory.CreateGauge(
            "fraudstream_rules_reload_errors", "Recent rules reload failures held by the dashboard.");

        _instance = new ReportedLabels(factory.CreateGauge(
            "fraudstream_instance_info", "This instance of the consumer group, by client id (value is always 1).", ["client_id"]));
        _partitionsDecided = factory.CreateGauge(
            "fraudstream_partitions_decided", "Partitions of the transactions topic the group assigned this instance.");
        _partitionsFollowed = factory.CreateGauge(
            "fraudstream_partitions_followed", "Partitions this instance folds into its features only (others decide them).");
        _partitionsReplaying = factory.CreateGauge(
            "fraudstream_partitions_replaying", "Partitions whose features are still replaying after the start (nothing is decided until 0).");
        _checkpoints = factory.CreateCounter("fraudstream_checkpoints_total", "Feature-state checkpoints saved and failed.", ["result"]);
        // Absent until the first checkpoint is saved: a 0 would read as "just saved".
        _checkpointAge = factory.CreateGauge(
            "fraudstream_checkpoint_age_seconds", "Seconds since the last saved checkpoint was taken.",
            new GaugeConfiguration { SuppressInitialValue = true });
        _checkpointBytes = factory.CreateGauge("fraudstream_checkpoint_bytes", "Size of the last saved checkpoint.");
        _checkpointCapture = factory.CreateGauge(
            "fraudstream_checkpoint_capture_seconds", "How long the last checkpoint held the workers while the state was written out.");
        _restoredSeq = factory.CreateGauge(
            "fraudstream_restored_checkpoint_seq", "The checkpoint restored at start (-1: none, the features were rebuilt from the log).");
        _restore = factory.CreateGauge("fraudstream_restore_seconds", "How long restoring the checkpoint took at start.");

        _challengerScored = factory.CreateCounter(
            "fraudstream_challenger_scored_total", "Transactions the challenger scored in shadow beside the champion.");
        _challengerSkipped = factory.CreateCounter(
            "fraudstream_challenger_skipped_total",
            "Transactions the challenger did not score: load (dropped first under load), error (it threw, or sits out after), over_budget.",
            ["reason"]);
        _challengerInfo = new ReportedLabels(factory.CreateGauge(
            "fraudstream_challenger_info", "The challenger's version and state: scoring, refused, promoted (value is always 1).", ["version", "state"]));
        _challengerCompute = factory.CreateGauge(
            "fraudstream_challenger_batch_compute_seconds",
            "Mean compute per batch on the batches the challenger scored: the challenger's (its cost in scoring_compute) and the champion's.",
            ["model"]);
        _comparison = new ReportedLabels(factory.CreateGauge(
            "fraudstream_challenger_comparison",
            "Champion against challenger on the same stored decisions since start: agreement, score_correlation, compared, labelled.",
            ["measure"]));
        _comparisonRates = new ReportedLabels(factory.CreateGauge(
            "fraudstream_challenger_model_rate",
            "Per model on the compared decisions: review_rate and decline_rate (would-be for the challenger), precision and recall on the labelled ones.",
            ["model", "measure"]));

        _target.Set(targetMs / MillisecondsPerSecond);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Feeds one snapshot. Snapshots must be applied in publish order.</summary>
    public void Apply(DashboardSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);

        foreach (var stage in snapshot.Stages)
        {
            var child = _stageLatency.WithLabels(stage.Stage);
            foreach (var value in stage.Values)
            {
                if (value.Count > 0 && double.IsFinite(value.ValueMs) && value.ValueMs >= 0)
                {
                    child.Observe(value.ValueMs / MillisecondsPerSecond, value.Count);
                }
            }
        }

        if (snapshot.TargetMs > 0)
        {
            _target.Set(snapshot.TargetMs / MillisecondsPerSecond);
        }

        var e2e = snapshot.EndToEnd;
        if (e2e.Count > 0)
        {
            _endToEndQuantile.WithLabels("0.5").Set(e2e.P50Ms / MillisecondsPerSecond);
            _endToEndQuantile.WithLabels("0.9").Set(e2e.P90Ms / MillisecondsPerSecond);
            _endToEndQuantile.WithLabels("0.99").Set(e2e.P99Ms / MillisecondsPerSecond);
            _endToEndQuantile.WithLabels("0.999").Set(e2e.P999Ms / MillisecondsPerSecond);
            _endToEndQuantile.WithLabels("1").Set(e2e.MaxMs / MillisecondsPerSecond);
            _withinTarget.WithLabels("1s").Set(e2e.WithinTarget);
        }

        if (snapshot.EndToEndCumulative.Count > 0)
        {
            _withinTarget.WithLabels("cumulative").Set(snapshot.EndToEndCumulative.WithinTarget);
        }

        _decisions.WithLabels("approve").IncTo(snapshot.DecisionsTotal.Approve);
        _decisions.WithLabels("review").IncTo(snapshot.DecisionsTotal.Review);
        _decisions.WithLabels("decline").IncTo(snapshot.DecisionsTotal.Decline);

        foreach (var (reason, count) in snapshot.DeadLetters.ByReason)
        {
            _deadLetters.WithLabels(reason).IncTo(count);
        }

        _duplicates.IncTo(snapshot.DuplicatesSuppressed);
        _stateEntries.WithLabels("card").Set(snapshot.FeatureState.Cards);
        _stateEntries.WithLabels("merchant").Set(snapshot.FeatureState.Merchants);
        _stateEntries.WithLabels("device").Set(snapshot.FeatureState.Devices);
        _stateEvicted.WithLabels("card").IncTo(snapshot.FeatureState.CardsEvicted);
        _stateEvicted.WithLabels("graph_node").IncTo(snapshot.FeatureState.GraphNodesEvicted);
        _transactions.WithLabels("in").IncTo(snapshot.Throughput.TotalIn);
        _transactions.WithLabels("out").IncTo(snapshot.Throughput.TotalOut);
        _tps.WithLabels("in").Set(snapshot.Throughput.TpsIn);
        _tps.WithLabels("out").Set(snapshot.Throughput.TpsOut);

        foreach (var lag in snapshot.ConsumerLag)
        {
            _lag.Set(lag.Lag, lag.Topic, lag.Partition.ToString(CultureInfo.InvariantCulture));
        }

        _lag.EndOfSnapshot();

        foreach (var rule in snapshot.TopRules)
        {
            _rulesFired.WithLabels(rule.Rule).IncTo(rule.Count);
        }

        foreach (var rule in snapshot.Rules.HitTotals)
        {
            _ruleHits.Set(rule.Hits, rule.Name, rule.Action.ToWire(), rule.Shadow ? "true" : "false");
        }

        _ruleHits.EndOfSnapshot();

        _modelAvailable.Set(snapshot.Scorer.ModelAvailable ? 1 : 0);
        _versions.Set(1, snapshot.Scorer.ModelVersion, snapshot.Rules.RulesetVersion, snapshot.Scorer.Device);
        _versions.EndOfSnapshot();
        _rulesReloadErrors.Set(snapshot.Rules.ReloadErrors.Count);
        ApplyInstance(snapshot.Instance);
        ApplyChallenger(snapshot.Challenger);
    }

    private void ApplyChallenger(ChallengerStatus challenger)
    {
        _challengerScored.IncTo(challenger.Scored);
        foreach (var (reason, count) in challenger.Skipped)
        {
            _challengerSkipped.WithLabels(reason).IncTo(count);
        }

        if (challenger.State != "none")
        {
            _challengerInfo.Set(1, challenger.Version ?? "", challenger.State);
        }

        _challengerInfo.EndOfSnapshot();
        _challengerCompute.WithLabels("challenger").Set(challenger.MeanComputeMicros / 1_000_000);
        _challengerCompute.WithLabels("champion").Set(challenger.MeanChampionComputeMicros / 1_000_000);
        if (challenger.Comparison is { } c)
        {
            _comparison.Set(c.Agreement, "agreement");
            if (c.ScoreCorrelation is { } r)
            {
                _comparison.Set(r, "score_correlation");
            }

            _comparison.Set(c.Compared, "compared");
            _comparison.Set(c.Labelled, "labelled");
            SetSide("champion", c.Champion);
            SetSide("challenger", c.Challenger);
        }

        _comparison.EndOfSnapshot();
        _comparisonRates.EndOfSnapshot();
    }

    private void SetSide(string model, Core.Telemetry.ModelSide side)
    {
        _comparisonRates.Set(side.ReviewRate, model, "review_rate");
        _comparisonRates.Set(side.DeclineRate, model, "decline_rate");
        if (side.Precision is { } precision)
        {
            _comparisonRates.Set(precision, model, "precision");
        }

        if (side.Recall is { } recall)
        {
            _comparisonRates.Set(recall, model, "recall");
        }
    }

    private void ApplyInstance(InstanceStatus instance)
    {
        if (instance.Name.Length > 0)
        {
            _instance.Set(1, instance.Name);
        }

        _instance.EndOfSnapshot();
        _partitionsDecided.Set(instance.PartitionsDecided.Count);
        _partitionsFollowed.Set(instance.PartitionsFollowed.Count);
        _partitionsReplaying.Set(instance.PartitionsReplaying);
        var checkpoint = instance.Checkpoint;
        _checkpoints.WithLabels("saved").IncTo(checkpoint.Saved);
        _checkpoints.WithLabels("failed").IncTo(checkpoint.Failed);
        if (checkpoint.AgeSeconds is { } age)
        {
            _checkpointAge.Set(age);
        }

        _checkpointBytes.Set(checkpoint.LastBytes);
        _checkpointCapture.Set(checkpoint.LastCaptureMs / MillisecondsPerSecond);
        _restoredSeq.Set(checkpoint.RestoredSeq);
        _restore.Set(checkpoint.RestoreMs / MillisecondsPerSecond);
    }

    /// <summary>Exponential buckets from 0.1 ms to about 13 s, plus the target itself so "within target" is exact.</summary>
    public static double[] LatencyBuckets(double targetMs)
    {
        var buckets = new SortedSet<double>(Histogram.ExponentialBuckets(0.0001, 2, 18));
        if (double.IsFinite(targetMs) && targetMs > 0)
        {
            buckets.Add(targetMs / MillisecondsPerSecond);
        }

        return [.. buckets];
    }

    /// <summary>
    /// The label sets of a gauge that each snapshot reports; a set the latest snapshot no longer reports (a revoked
    /// partition, a replaced version, a rule gone with a reload) is removed rather than frozen at its last value.
    /// </summary>
    private sealed class ReportedLabels(Gauge gauge)
    {
        private Dictionary<string, string[]> _reported = new(StringComparer.Ordinal);
        private Dictionary<string, string[]> _reporting = new(StringComparer.Ordinal);

        public void Set(double value, params string[] labels)
        {
            _reporting[string.Join('\u001f', labels)] = labels;
            gauge.WithLabels(labels).Set(value);
        }

        public void EndOfSnapshot()
        {
            foreach (var (key, labels) in _reported)
            {
                if (!_reporting.ContainsKey(key))
                {
                    gauge.RemoveLabelled(labels);
                }
            }

            (_reported, _reporting) = (_reporting, _reported);
            _reporting.Clear();
        }
    }
}
