using System.Text;
using FraudStream.Core.Telemetry;
using FraudStream.Dashboard.Metrics;
using FraudStream.Dashboard.Snapshots;
using FraudStream.Dashboard.Tests.Support;
using Prometheus;

namespace FraudStream.Dashboard.Tests.Unit;

public sealed class DashboardMetricsTests
{
    [Fact]
    public async Task Stage_histograms_accumulate_the_value_count_pairs_of_every_snapshot()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new DashboardMetrics(registry, TestSnapshots.TargetMs);

        metrics.Apply(TestSnapshots.Create(0));
        metrics.Apply(TestSnapshots.Create(1));

        var text = await ExportAsync(registry);
        // Two snapshots of 1000 + 1010 recorded values for each stage.
        Assert.Contains("fraudstream_stage_latency_seconds_count{stage=\"transit\"} 2010", text, StringComparison.Ordinal);
        // transit (the first stage) recorded 0.5 ms (990 + 1000 times) and 1.5 ms (10 + 10 times): all at or under 1.6 ms.
        Assert.Contains("fraudstream_stage_latency_seconds_bucket{stage=\"transit\",le=\"0.0008\"} 1990", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_stage_latency_seconds_bucket{stage=\"transit\",le=\"0.0016\"} 2010", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_decisions_total{decision=\"approve\"} 1960", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_transactions_total{direction=\"out\"} 2020", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_end_to_end_latency_seconds{quantile=\"0.99\"} 0.02", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_versions_info{model_version=\"gbt-2026-11-28\",ruleset_version=\"rules-v7\",device=\"gpu\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Feature_state_sizes_and_what_the_caps_dropped_are_exported()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new DashboardMetrics(registry, TestSnapshots.TargetMs);
        metrics.Apply(TestSnapshots.Create(0) with
        {
            FeatureState = new FeatureStateStats { Cards = 1200, CardsEvicted = 34, Merchants = 560, Devices = 78, GraphNodesEvicted = 9 },
        });

        var text = await ExportAsync(registry);
        Assert.Contains("fraudstream_feature_state_entries{kind=\"card\"} 1200", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_feature_state_entries{kind=\"merchant\"} 560", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_feature_state_entries{kind=\"device\"} 78", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_feature_state_evicted_total{kind=\"card\"} 34", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_feature_state_evicted_total{kind=\"graph_node\"} 9", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoked_partitions_and_replaced_versions_stop_being_reported()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new DashboardMetrics(registry, TestSnapshots.TargetMs);
        metrics.Apply(TestSnapshots.Create(0));

        var later = TestSnapshots.Create(1) with
        {
            ConsumerLag = [new PartitionLag("transactions", 1, 4)],
            Rules = new RulesStatus { RulesetVersion = "rules-v8" },
        };
        metrics.Apply(later);

        var text = await ExportAsync(registry);
        Assert.DoesNotContain("partition=\"0\"", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_consumer_lag_messages{topic=\"transactions\",partition=\"1\"} 4", text, StringComparison.Ordinal);
        Assert.DoesNotContain("rules-v7", text, StringComparison.Ordinal);
        Assert.Contains("ruleset_version=\"rules-v8\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checkpoint_age_is_absent_until_a_checkpoint_is_saved_and_a_renamed_instance_is_reported_once()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new DashboardMetrics(registry, TestSnapshots.TargetMs);
        metrics.Apply(TestSnapshots.Create(0) with { Instance = new InstanceStatus { Name = "fraudstream-1", PartitionsDecided = [0, 1, 2] } });

        var before = await ExportAsync(registry);
        Assert.DoesNotContain("\nfraudstream_checkpoint_age_seconds ", before, StringComparison.Ordinal);
        Assert.Contains("fraudstream_partitions_decided 3\n", before, StringComparison.Ordinal);
        Assert.Contains("fraudstream_restored_checkpoint_seq -1\n", before, StringComparison.Ordinal);

        metrics.Apply(TestSnapshots.Create(1) with
        {
            Instance = new InstanceStatus { Name = "fraudstream-9", PartitionsDecided = [2], Checkpoint = new CheckpointSummary { Saved = 1, AgeSeconds = 2.5 } },
        });

        var after = await ExportAsync(registry);
        Assert.Contains("fraudstream_checkpoint_age_seconds 2.5\n", after, StringComparison.Ordinal);
        Assert.Contains("fraudstream_partitions_decided 1\n", after, StringComparison.Ordinal);
        Assert.DoesNotContain("client_id=\"fraudstream-1\"", after, StringComparison.Ordinal);
        Assert.Contains("fraudstream_instance_info{client_id=\"fraudstream-9\"} 1", after, StringComparison.Ordinal);
    }

    [Fact]
    public void Latency_buckets_include_the_target_so_within_target_is_exact()
    {
        var buckets = DashboardMetrics.LatencyBuckets(37);
        Assert.Contains(0.037, buckets);
        Assert.Equal(buckets.Order(), buckets);
    }

    [Fact]
    public async Task The_challenger_s_skips_per_reason_its_cost_and_the_comparison_are_exported_and_a_pair_gone_stops_being_reported()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new DashboardMetrics(registry, TestSnapshots.TargetMs);
        var comparison = new ModelComparison(4000, 0.97, 0.91, new ModelSide(0.02, 0.004, 0.8, 0.75), new ModelSide(0.025, 0.005, null, 0.7), 300, 40);
        metrics.Apply(TestSnapshots.Create(0) with
        {
            Challenger = new ChallengerStatus
            {
                State = "scoring", Version = "gbt-seed-7", Scored = 4000, Batches = 100, MeanComputeMicros = 55, MeanChampionComputeMicros = 60,
                Skipped = new Dictionary<string, long> { ["load"] = 120, ["error"] = 0, ["over_budget"] = 7 }, Comparison = comparison,
            },
        });

        var text = await ExportAsync(registry);
        Assert.Contains("fraudstream_challenger_scored_total 4000", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_challenger_skipped_total{reason=\"load\"} 120", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_challenger_skipped_total{reason=\"over_budget\"} 7", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_challenger_info{version=\"gbt-seed-7\",state=\"scoring\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_challenger_batch_compute_seconds{model=\"challenger\"} 5.5e-05", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_challenger_comparison{measure=\"agreement\"} 0.97", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_challenger_comparison{measure=\"score_correlation\"} 0.91", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_challenger_model_rate{model=\"champion\",measure=\"precision\"} 0.8", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_challenger_model_rate{model=\"challenger\",measure=\"recall\"} 0.7", text, StringComparison.Ordinal);
        Assert.DoesNotContain("fraudstream_challenger_model_rate{model=\"challenger\",measure=\"precision\"}", text, StringComparison.Ordinal);

        metrics.Apply(TestSnapshots.Create(1) with { Challenger = new ChallengerStatus { State = "promoted", Scored = 4000 } });

        text = await ExportAsync(registry);
        Assert.DoesNotContain("fraudstream_challenger_comparison{", text, StringComparison.Ordinal);
        Assert.DoesNotContain("state=\"scoring\"", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_challenger_info{version=\"\",state=\"promoted\"} 1", text, StringComparison.Ordinal);
    }

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
