using System.Text.Json;
using FraudStream.Core.Contracts;
using FraudStream.Core.Latency;
using FraudStream.Core.Telemetry;
using FraudStream.Dashboard.Tests.Support;

namespace FraudStream.Dashboard.Tests.Api;

/// <summary>The pipeline's snapshot, published to the dashboard's feed as the reporter does, read back through the API.</summary>
public sealed class DashboardFeedTests : IAsyncLifetime
{
    private DashboardServer _server = null!;

    public async Task InitializeAsync() => _server = await DashboardServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Every_recorded_stage_reaches_the_snapshot_in_pipeline_order_persist_included()
    {
        _server.Feed.Publish(TestPipelineSnapshots.Create(0));

        using var json = await _server.GetJsonAsync("/api/snapshot");
        var stages = json.RootElement.GetProperty("stages").EnumerateArray().ToList();
        Assert.Equal(StageNames.All, stages.Select(s => s.GetProperty("stage").GetString()));
        var persist = stages[(int)Stage.Persist];
        Assert.Equal((int)Stage.Persist + 1, persist.GetProperty("p50_ms").GetDouble());
        Assert.Equal(100, persist.GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task The_challenger_reaches_the_snapshot_with_skips_by_reason_mean_cost_and_the_comparison()
    {
        var comparison = new ModelComparison(1000, 0.96, null, new ModelSide(0.02, 0.01, 0.7, null), new ModelSide(0.03, 0.01, 0.6, null), 50, 0);
        _server.Feed.Publish(TestPipelineSnapshots.Create(0) with
        {
            Challenger = new ChallengerTelemetry("scoring", "gbt-7", null, 1000, [25, 3, 0], 40, 2000, 3000, 0, comparison),
        });

        using var json = await _server.GetJsonAsync("/api/snapshot");
        var challenger = json.RootElement.GetProperty("challenger");
        Assert.Equal("gbt-7", challenger.GetProperty("version").GetString());
        Assert.Equal(25, challenger.GetProperty("skipped").GetProperty("load").GetInt64());
        Assert.Equal(3, challenger.GetProperty("skipped").GetProperty("error").GetInt64());
        Assert.Equal(50, challenger.GetProperty("mean_compute_micros").GetDouble());
        Assert.Equal(75, challenger.GetProperty("mean_champion_compute_micros").GetDouble());
        var sent = challenger.GetProperty("comparison");
        Assert.Equal(0.96, sent.GetProperty("agreement").GetDouble());
        Assert.Equal(JsonValueKind.Null, sent.GetProperty("score_correlation").ValueKind); // the page shows —
        Assert.Equal(0.03, sent.GetProperty("challenger").GetProperty("review_rate").GetDouble());
    }

    [Fact]
    public async Task A_decline_made_without_a_model_is_sent_with_a_null_score_and_a_masked_card()
    {
        _server.Feed.Publish(TestPipelineSnapshots.Create(0));

        using var json = await _server.GetJsonAsync("/api/snapshot");
        var decline = json.RootElement.GetProperty("recent_declines").EnumerateArray().Single();
        Assert.Equal("tx-no-model", decline.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, decline.GetProperty("score").ValueKind);
        Assert.Equal("••••1111", decline.GetProperty("card").GetString());
        Assert.Equal(TestSnapshots.Start, decline.GetProperty("decided_at").GetDateTimeOffset());
        Assert.Equal(["blocked_merchant", "model_unavailable"], decline.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Decisions_per_second_are_the_difference_of_the_totals_of_consecutive_snapshots()
    {
        _server.Feed.Publish(TestPipelineSnapshots.Create(0));
        _server.Feed.Publish(TestPipelineSnapshots.Create(1));

        using var json = await _server.GetJsonAsync("/api/snapshot");
        var root = json.RootElement;
        Assert.Equal(180, root.GetProperty("decisions_total").GetProperty("approve").GetInt64());
        Assert.Equal(90, root.GetProperty("decisions_per_second").GetProperty("approve").GetInt64());
        Assert.Equal([0, 1], root.GetProperty("consumer_lag").EnumerateArray().Select(l => l.GetProperty("partition").GetInt32()));
        // Reasons other than feature contributions, most given first.
        Assert.Equal(["model_unavailable", "blocked_merchant"], root.GetProperty("top_rules").EnumerateArray().Select(r => r.GetProperty("rule").GetString()));
    }

    [Fact]
    public async Task Rule_hits_shadow_rules_included_reach_the_snapshot_and_metrics()
    {
        _server.Feed.Publish(TestPipelineSnapshots.Create(0));

        using var json = await _server.GetJsonAsync("/api/snapshot");
        var hits = json.RootElement.GetProperty("rules").GetProperty("hit_totals").EnumerateArray()
            .Select(h => (h.GetProperty("name").GetString(), h.GetProperty("action").GetString(), h.GetProperty("shadow").GetBoolean(), h.GetProperty("hits").GetInt64()))
            .ToList();
        Assert.Equal([("blocked_merchant", "decline", false, 12L), ("velocity_hour", "review", false, 40L), ("amount_outlier", "review", true, 7L)], hits);

        var metrics = await PollMetricsAsync("fraudstream_rule_hits{");
        Assert.Contains("fraudstream_rule_hits{rule=\"amount_outlier\",action=\"review\",shadow=\"true\"} 7", metrics, StringComparison.Ordinal);
        Assert.Contains("fraudstream_rule_hits{rule=\"blocked_merchant\",action=\"decline\",shadow=\"false\"} 12", metrics, StringComparison.Ordinal);
        Assert.Contains("fraudstream_stage_latency_seconds_count{stage=\"persist\"} 100", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rule_gone_with_a_reload_stops_being_reported_in_metrics()
    {
        _server.Feed.Publish(TestPipelineSnapshots.Create(0));
        await PollMetricsAsync("rule=\"velocity_hour\"");

        _server.Feed.Publish(TestPipelineSnapshots.Create(1, hits: [new("blocked_merchant", DecisionKind.Decline, Shadow: false, Hits: 1)]));
        var metrics = await PollMetricsAsync("fraudstream_rule_hits{rule=\"blocked_merchant\",action=\"decline\",shadow=\"false\"} 1\n");

        Assert.DoesNotContain("rule=\"velocity_hour\"", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("rule=\"amount_outlier\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_instance_its_partitions_its_checkpoints_and_its_restore_reach_the_snapshot_and_metrics()
    {
        _server.Feed.Publish(TestPipelineSnapshots.Create(0));

        using var json = await _server.GetJsonAsync("/api/snapshot");
        var instance = json.RootElement.GetProperty("instance");
        Assert.Equal(TestPipelineSnapshots.InstanceName, instance.GetProperty("name").GetString());
        Assert.Equal([0, 3], instance.GetProperty("partitions_decided").EnumerateArray().Select(p => p.GetInt32()));
        Assert.Equal([1, 2, 4, 5], instance.GetProperty("partitions_followed").EnumerateArray().Select(p => p.GetInt32()));
        Assert.Equal(2, instance.GetProperty("partitions_replaying").GetInt64());
        var checkpoint = instance.GetProperty("checkpoint");
        // The age is taken at the snapshot's time, not when the page reads it.
        Assert.Equal(TestPipelineSnapshots.CheckpointAgeSeconds, checkpoint.GetProperty("age_seconds").GetDouble());
        Assert.Equal(TestSnapshots.Start.AddSeconds(-TestPipelineSnapshots.CheckpointAgeSeconds), checkpoint.GetProperty("last_saved_at").GetDateTimeOffset());
        Assert.Equal(1_572_864, checkpoint.GetProperty("last_bytes").GetInt64());
        Assert.Equal(41, checkpoint.GetProperty("restored_seq").GetInt64());
        Assert.Equal(830, checkpoint.GetProperty("restore_ms").GetDouble());

        var metrics = await PollMetricsAsync("fraudstream_instance_info{");
        Assert.Contains($"fraudstream_instance_info{{client_id=\"{TestPipelineSnapshots.InstanceName}\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("fraudstream_partitions_decided 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fraudstream_partitions_followed 4\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fraudstream_partitions_replaying 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains($"fraudstream_checkpoint_age_seconds {TestPipelineSnapshots.CheckpointAgeSeconds}\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fraudstream_checkpoint_bytes 1572864\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fraudstream_checkpoint_capture_seconds 0.0125\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fraudstream_checkpoints_total{result=\"saved\"} 7", metrics, StringComparison.Ordinal);
        Assert.Contains("fraudstream_checkpoints_total{result=\"failed\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("fraudstream_restored_checkpoint_seq 41\n", metrics, StringComparison.Ordinal);
        Assert.Contains("fraudstream_restore_seconds 0.83\n", metrics, StringComparison.Ordinal);
    }

    /// <summary>The metrics follow the published snapshots on a background reader: poll until <paramref name="expected"/> shows.</summary>
    private async Task<string> PollMetricsAsync(string expected)
    {
        var text = await _server.PollAsync("/metrics", t => t.Contains(expected, StringComparison.Ordinal));
        Assert.Contains(expected, text, StringComparison.Ordinal);
        return text;
    }
}
