using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FraudStream.Dashboard.Tests.Support;

namespace FraudStream.Dashboard.Tests.Api;

public sealed class DashboardApiTests : IAsyncLifetime
{
    private DashboardServer _server = null!;

    public async Task InitializeAsync() => _server = await DashboardServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("rebound.example.com", HttpStatusCode.BadRequest)]
    [InlineData("127.0.0.1.nip.io", HttpStatusCode.BadRequest)]
    [InlineData("localhost", HttpStatusCode.OK)]
    [InlineData("127.0.0.1", HttpStatusCode.OK)]
    public async Task A_loopback_dashboard_answers_only_for_loopback_host_names(string host, HttpStatusCode expected)
    {
        // DNS rebinding: a page of another site, its name rebound to 127.0.0.1, sends its own name as the Host.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/config");
        request.Headers.Host = host + ":" + _server.Address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var response = await _server.Client.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Snapshot_is_not_found_before_the_first_publish_and_the_latest_afterwards()
    {
        var before = await _server.Client.GetAsync(new Uri("/api/snapshot", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);

        _server.State.Publish(TestSnapshots.Create(1, p99Ms: 21));
        _server.State.Publish(TestSnapshots.Create(2, p99Ms: 33));

        using var json = await _server.GetJsonAsync("/api/snapshot");
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("sequence").GetInt64());
        Assert.Equal(33, root.GetProperty("end_to_end").GetProperty("p99_ms").GetDouble());
        Assert.Equal(49.5, root.GetProperty("end_to_end").GetProperty("p999_ms").GetDouble());
        Assert.Equal(50, root.GetProperty("target_ms").GetDouble());
        Assert.Equal("scoring_wait", root.GetProperty("stages")[4].GetProperty("stage").GetString());
        Assert.False(root.GetProperty("stages")[4].TryGetProperty("values", out _), "raw values are for /metrics only");
        Assert.Equal(8, root.GetProperty("latency_histogram_last_minute").GetArrayLength());
        Assert.True(root.GetProperty("latency_histogram_last_minute")[0].TryGetProperty("upper_bound_ms", out _));
        Assert.Equal(4, root.GetProperty("dead_letters").GetProperty("by_reason").GetProperty("invalid_json").GetInt64());
        Assert.Equal("gpu", root.GetProperty("scorer").GetProperty("device").GetString());
        Assert.Equal("rules-v7", root.GetProperty("rules").GetProperty("ruleset_version").GetString());
    }

    [Fact]
    public async Task A_missing_score_is_sent_as_null_so_declines_and_reviews_stay_valid_json_while_the_model_is_down()
    {
        _server.State.Publish(TestSnapshots.Create(1) with { RecentDeclines = [TestSnapshots.ModelUnavailableDecline(1)] });
        _server.Reviews.Add(TestSnapshots.ModelUnavailableReview("r-no-model"));
        // A scorer that produced NaN is treated as no score too: "NaN" never reaches the page.
        _server.Reviews.Add(TestSnapshots.ModelUnavailableReview("r-nan") with { Score = double.NaN, Time = TestSnapshots.Start.AddMinutes(1) });

        using var snapshot = await _server.GetJsonAsync("/api/snapshot");
        var decline = snapshot.RootElement.GetProperty("recent_declines")[0];
        Assert.Equal(JsonValueKind.Null, decline.GetProperty("score").ValueKind);
        Assert.Equal("model_unavailable", decline.GetProperty("reasons")[0].GetString());

        using var reviews = await _server.GetJsonAsync("/api/reviews");
        var items = reviews.RootElement.GetProperty("items");
        Assert.Equal(["r-no-model", "r-nan"], items.EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        Assert.All(items.EnumerateArray(), item => Assert.Equal(JsonValueKind.Null, item.GetProperty("score").ValueKind));
    }

    [Fact]
    public async Task Config_serves_every_stage_in_pipeline_order_and_the_decisions_latency_target()
    {
        using var json = await _server.GetJsonAsync("/api/config");
        var root = json.RootElement;
        Assert.Equal(TestSnapshots.TargetMs, root.GetProperty("target_ms").GetDouble());
        var stages = root.GetProperty("stages").EnumerateArray().ToList();
        Assert.Equal(Core.Latency.StageNames.All, stages.Select(s => s.GetProperty("name").GetString()));
        // The steps of the end-to-end path are the stages before persist; persist and end_to_end are not steps of it.
        Assert.Equal(
            Enum.GetValues<Core.Latency.Stage>().Select(s => s < Core.Latency.Stage.Persist),
            stages.Select(s => s.GetProperty("step_of_end_to_end").GetBoolean()));
    }

    [Fact]
    public async Task History_returns_the_snapshots_of_the_requested_window_oldest_first()
    {
        for (var step = 0; step < 30; step++)
        {
            _server.State.Publish(TestSnapshots.Create(step));
        }

        using var json = await _server.GetJsonAsync("/api/history?seconds=10");
        var sequences = json.RootElement.EnumerateArray().Select(s => s.GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(21, 10).Select(i => (long)i), sequences);
    }

    [Fact]
    public async Task Stream_sends_the_latest_snapshot_then_each_new_one()
    {
        _server.State.Publish(TestSnapshots.Create(1));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/stream");
        using var response = await _server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var first = await ReadEventAsync(reader);
        Assert.Equal(1, first.RootElement.GetProperty("sequence").GetInt64());

        _server.State.Publish(TestSnapshots.Create(2, p99Ms: 44));
        var second = await ReadEventAsync(reader);
        Assert.Equal(2, second.RootElement.GetProperty("sequence").GetInt64());
        Assert.Equal(44, second.RootElement.GetProperty("end_to_end").GetProperty("p99_ms").GetDouble());
    }

    [Fact]
    public async Task No_full_card_number_appears_in_snapshots_history_or_reviews()
    {
        _server.State.Publish(TestSnapshots.Create(1));
        _server.Reviews.Add(DashboardServer.Item("r-raw", TestSnapshots.RawPan, 1));
        _server.Reviews.Add(DashboardServer.Item("r-masked", "••••1234", 2));

        var bodies = new[]
        {
            await _server.Client.GetStringAsync(new Uri("/api/snapshot", UriKind.Relative)),
            await _server.Client.GetStringAsync(new Uri("/api/history", UriKind.Relative)),
            await _server.Client.GetStringAsync(new Uri("/api/reviews", UriKind.Relative)),
        };

        foreach (var body in bodies)
        {
            Assert.DoesNotContain(TestSnapshots.RawPan, body, StringComparison.Ordinal);
            Assert.DoesNotContain("4111 1111 1111 1111", body, StringComparison.Ordinal);
        }

        using var reviews = await _server.GetJsonAsync("/api/reviews");
        var cards = reviews.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("card").GetString()).ToList();
        Assert.Equal(["••••1111", "••••1234"], cards);
        Assert.True(reviews.RootElement.GetProperty("marking_enabled").GetBoolean());
    }

    [Fact]
    public async Task Marking_a_review_requires_the_configured_token()
    {
        _server.Reviews.Add(DashboardServer.Item("r1", "••••1234", 1));

        using var missing = await MarkAsync("r1", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);

        using var wrong = await MarkAsync("r1", token: DashboardServer.Token + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Empty(_server.Reviews.Marks);

        using var marked = await MarkAsync("r1", token: DashboardServer.Token);
        Assert.Equal(HttpStatusCode.OK, marked.StatusCode);
        Assert.Equal(new TestDoubles.InMemoryReviewStore.RecordedMark(true, "alice"), _server.Reviews.Marks["r1"]);

        using var again = await MarkAsync("r1", token: DashboardServer.Token);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        using var unknown = await MarkAsync("nope", token: DashboardServer.Token);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Marking_with_a_malformed_body_is_a_bad_request_and_marks_nothing()
    {
        _server.Reviews.Add(DashboardServer.Item("r1", "••••1234", 1));
        foreach (var body in new[] { "not json", "{\"analyst\":\"alice\"}", "{\"fraud\":true}", "{\"fraud\":true,\"analyst\":\"  \"}" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/reviews/r1/mark")
            {
                Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", DashboardServer.Token);
            using var response = await _server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.Empty(_server.Reviews.Marks);
    }

    [Fact]
    public async Task Metrics_expose_stage_histograms_decision_counters_and_lag()
    {
        _server.State.Publish(TestSnapshots.Create(1));

        // The metrics are fed by a background reader of the published snapshots.
        var text = await _server.PollAsync("/metrics", t => t.Contains("fraudstream_decisions_total{decision=\"decline\"} 20", StringComparison.Ordinal));

        Assert.Contains("fraudstream_stage_latency_seconds_count{stage=\"scoring_compute\"} 1010", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_stage_latency_seconds_bucket{stage=\"end_to_end\",le=\"0.05\"}", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_consumer_lag_messages{topic=\"transactions\",partition=\"0\"} 11", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_dead_letters_total{reason=\"invalid_json\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("fraudstream_latency_target_seconds 0.05", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_reports_ok_and_the_latest_sequence()
    {
        _server.State.Publish(TestSnapshots.Create(1));
        using var json = await _server.GetJsonAsync("/healthz");
        Assert.Equal("ok", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("latest_sequence").GetInt64());
    }

    [Fact]
    public async Task Health_says_degraded_with_503_while_the_store_refuses_the_outcomes()
    {
        var failing = DateTimeOffset.UtcNow.AddSeconds(-3);
        _server.State.Publish(TestSnapshots.Create(1) with { StoreFailingSince = failing });
        using var response = await _server.Client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("degraded", json.RootElement.GetProperty("status").GetString());
        Assert.StartsWith("store refusing outcomes since", json.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(json.RootElement.GetProperty("store_failing_seconds").GetDouble() >= 2);

        _server.State.Publish(TestSnapshots.Create(2));
        using var again = await _server.GetJsonAsync("/healthz");
        Assert.Equal("ok", again.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_page_and_the_charting_library_are_served_from_the_assembly()
    {
        using var page = await _server.Client.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("/assets/lib/uPlot.iife.min.js", html, StringComparison.Ordinal);

        using var library = await _server.Client.GetAsync(new Uri("/assets/lib/uPlot.iife.min.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, library.StatusCode);
        Assert.Contains("uPlot", await library.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var missing = await _server.Client.GetAsync(new Uri("/assets/../secrets.txt", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private async Task<HttpResponseMessage> MarkAsync(string id, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/reviews/{id}/mark")
        {
            Content = JsonContent.Create(new { fraud = true, analyst = "alice" }),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await _server.Client.SendAsync(request);
    }

    private static async Task<JsonDocument> ReadEventAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonDocument.Parse(line["data: ".Length..]);
            }
        }

        throw new EndOfStreamException("the event stream ended");
    }
}
