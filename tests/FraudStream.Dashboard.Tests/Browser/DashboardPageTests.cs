using FraudStream.Dashboard.Tests.Support;
using FraudStream.Testing;
using Microsoft.Playwright;

namespace FraudStream.Dashboard.Tests.Browser;

/// <summary>
/// The page in Debian's chromium (Playwright's driver, never a downloaded browser) against a real
/// dashboard while a simulated stream publishes a snapshot every 200 ms.
/// </summary>
public sealed class DashboardPageTests
{
    private static readonly float WaitMs = 30_000;

    [ChromiumFact]
    public async Task Dashboard_shows_live_numbers_the_target_line_and_marks_reviews_only_with_the_token()
    {
        await using var server = await DashboardServer.StartAsync();
        server.Reviews.Add(DashboardServer.Item("rv-1001", "••••4242", 1));
        server.Reviews.Add(DashboardServer.Item("rv-1002", TestSnapshots.RawPan, 2));
        for (var step = 0; step < 60; step++)
        {
            server.State.Publish(TestSnapshots.Create(step, p99Ms: StreamP99(step), at: DateTimeOffset.UtcNow.AddSeconds(step - 60)));
        }

        using var stopStream = new CancellationTokenSource();
        var stream = RunStreamAsync(server, firstStep: 60, stopStream.Token);

        try
        {
            await using var browser = await BrowserSession.OpenAsync(server.Address, new ViewportSize { Width = 1600, Height = 1300 });
            var page = browser.Page;

            // Live numbers: the stream keeps publishing; the p99 tile and the snapshot counter move.
            await page.WaitForFunctionAsync("() => window.fraudDashboard && window.fraudDashboard.snapshotsSeen > 60", null, Wait());
            var firstP99 = await page.InnerTextAsync("#kpi-p99");
            var firstDecided = await page.InnerTextAsync("#kpi-decided");
            Assert.EndsWith(" ms", firstP99, StringComparison.Ordinal);
            await page.WaitForFunctionAsync(
                "([p99, decided]) => document.querySelector('#kpi-p99').textContent !== p99 && document.querySelector('#kpi-decided').textContent !== decided",
                new[] { firstP99, firstDecided },
                Wait());

            // The target line: a 'target' series holding target_ms, and its dashed red pixels on the canvas.
            var target = await page.EvaluateAsync<TargetLineCheck>(TargetLineScript);
            Assert.Equal(TestSnapshots.TargetMs, target.Value);
            Assert.True(target.Points > 60, $"target series has {target.Points} points");
            Assert.True(target.RedPixels > 100, $"only {target.RedPixels} target-coloured pixels on the target row");

            // Other panels are filled from the snapshot; no full card number is on the page.
            Assert.Equal("gpu", await page.InnerTextAsync("#scorer-device"));
            Assert.Equal("rules-v7", await page.InnerTextAsync("#ruleset-version"));
            await page.WaitForSelectorAsync("#reviews-table td:has-text('rv-1001')", Selector());
            var pageText = await page.InnerTextAsync("body");
            Assert.DoesNotContain(TestSnapshots.RawPan, pageText, StringComparison.Ordinal);
            Assert.Contains("••••1111", pageText, StringComparison.Ordinal);
            Assert.Empty(browser.ConsoleErrors);

            await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath(), FullPage = true });

            // Marking: refused without the token, accepted with it.
            await page.FillAsync("#review-analyst", "alice");
            await page.ClickAsync("button.fraud[data-id='rv-1001']");
            await page.WaitForFunctionAsync("() => document.querySelector('#review-status').textContent.includes('401')", null, Wait());
            Assert.Empty(server.Reviews.Marks);

            await page.FillAsync("#review-token", DashboardServer.Token);
            await page.ClickAsync("button.fraud[data-id='rv-1001']");
            await page.WaitForFunctionAsync("() => document.querySelector('#review-status').textContent.startsWith('marked rv-1001')", null, Wait());
            Assert.Equal(new TestDoubles.InMemoryReviewStore.RecordedMark(true, "alice"), server.Reviews.Marks["rv-1001"]);
            await page.WaitForSelectorAsync("button[data-id='rv-1001']", new PageWaitForSelectorOptions { State = WaitForSelectorState.Detached, Timeout = WaitMs });
        }
        finally
        {
            await stopStream.CancelAsync();
            await stream;
        }
    }

    [ChromiumFact]
    public async Task Dashboard_loads_without_errors_before_the_first_snapshot_and_is_read_only_without_a_token()
    {
        await using var server = await DashboardServer.StartAsync(reviewToken: null);
        server.Reviews.Add(DashboardServer.Item("rv-2001", "••••4242", 1));

        await using var browser = await BrowserSession.OpenAsync(server.Address);
        var page = browser.Page;
        await page.WaitForFunctionAsync("() => document.querySelector('#connection').textContent === 'live'", null, Wait());
        await page.WaitForSelectorAsync("#reviews-table td:has-text('rv-2001')", Selector());

        Assert.Equal("—", await page.InnerTextAsync("#kpi-p99"));
        Assert.Contains("read-only", await page.InnerTextAsync("#review-mode"), StringComparison.Ordinal);
        Assert.True(await page.IsDisabledAsync("button.fraud[data-id='rv-2001']"));

        // The stream starts after the page: the first snapshot shows up without a reload.
        server.State.Publish(TestSnapshots.Create(1, p99Ms: 12));
        await page.WaitForFunctionAsync("() => document.querySelector('#kpi-p99').textContent === '12.0 ms'", null, Wait());
        Assert.Empty(browser.ConsoleErrors);
    }

    [ChromiumFact]
    public async Task Stage_table_shows_every_stage_of_the_pipeline_and_the_rules_table_every_rule_with_its_hits()
    {
        await using var server = await DashboardServer.StartAsync();
        server.Feed.Publish(TestPipelineSnapshots.Create(0));

        await using var browser = await BrowserSession.OpenAsync(server.Address);
        var page = browser.Page;
        await page.WaitForSelectorAsync("#rule-hits-table td:has-text('amount_outlier')", Selector());

        var stages = await page.EvalOnSelectorAllAsync<string[]>("#stages-table tbody tr td:first-child", "cells => cells.map(c => c.textContent)");
        Assert.Equal(Core.Latency.StageNames.All, stages);
        var rules = await page.EvalOnSelectorAllAsync<string[][]>(
            "#rule-hits-table tbody tr", "rows => rows.map(r => Array.from(r.cells, c => c.textContent))");
        Assert.Equal(
            [["blocked_merchant", "decline", "live", "12"], ["velocity_hour", "review", "live", "40"], ["amount_outlier", "review", "shadow", "7"]],
            rules);
        Assert.Empty(browser.ConsoleErrors);
    }

    [ChromiumFact]
    public async Task Instance_panel_shows_the_partitions_decided_and_followed_the_checkpoint_age_and_the_restore()
    {
        await using var server = await DashboardServer.StartAsync();
        server.Feed.Publish(TestPipelineSnapshots.Create(0));

        await using var browser = await BrowserSession.OpenAsync(server.Address);
        var page = browser.Page;
        await page.WaitForFunctionAsync(
            $"() => document.querySelector('#instance-name').textContent === '{TestPipelineSnapshots.InstanceName}'", null, Wait());

        Assert.Equal("0, 3", await page.InnerTextAsync("#instance-decided"));
        Assert.Equal("1, 2, 4, 5", await page.InnerTextAsync("#instance-followed"));
        Assert.Equal("2 partitions", await page.InnerTextAsync("#instance-replaying"));
        Assert.Equal($"{TestPipelineSnapshots.CheckpointAgeSeconds} s ago", await page.InnerTextAsync("#checkpoint-age"));
        Assert.Equal("1.5 MB", await page.InnerTextAsync("#checkpoint-bytes"));
        Assert.Equal("7 saved, 1 failed", await page.InnerTextAsync("#checkpoint-counts"));
        Assert.Equal("checkpoint 41 in 830 ms", await page.InnerTextAsync("#checkpoint-restored"));
        var lag = await page.EvalOnSelectorAllAsync<string[]>("#lag-table tbody tr td:nth-child(2)", "cells => cells.map(c => c.textContent)");
        Assert.Equal(["0", "1"], lag);

        // An instance that has not saved a checkpoint yet, and started without one, says so.
        server.State.Publish(TestSnapshots.Create(1));
        await page.WaitForFunctionAsync("() => document.querySelector('#checkpoint-age').textContent === 'none saved yet'", null, Wait());
        Assert.Equal("none: features rebuilt from the log", await page.InnerTextAsync("#checkpoint-restored"));
        Assert.Empty(browser.ConsoleErrors);
    }

    [ChromiumFact]
    public async Task Challenger_panel_says_how_many_were_dropped_under_load_and_compares_the_two_models()
    {
        await using var server = await DashboardServer.StartAsync();
        var comparison = new Core.Telemetry.ModelComparison(4000, 0.9712, 0.93, new Core.Telemetry.ModelSide(0.02, 0.01, 0.7, 0.8),
            new Core.Telemetry.ModelSide(0.03, 0.01, null, 0.75), 300, 40);
        server.Feed.Publish(TestPipelineSnapshots.Create(0) with
        {
            Challenger = new Core.Telemetry.ChallengerTelemetry("scoring", "gbt-7", null, 4000, [1234, 0, 0], 10, 500, 700, 0, comparison),
        });

        await using var browser = await BrowserSession.OpenAsync(server.Address);
        var page = browser.Page;
        await page.WaitForFunctionAsync("() => document.querySelector('#challenger-state').textContent === 'gbt-7'", null, Wait());

        Assert.Equal("challenger dropped under load: 1,234", await page.InnerTextAsync("#challenger-dropped"));
        Assert.Equal("+50 µs (champion 70 µs)", await page.InnerTextAsync("#challenger-cost"));
        Assert.Equal("0.971 of 4,000", await page.InnerTextAsync("#challenger-agreement"));
        var rows = await page.EvalOnSelectorAllAsync<string[]>("#challenger-table tbody tr", "rows => rows.map(r => r.textContent)");
        Assert.Equal(["champion0.0200.0100.7000.800", "challenger0.0300.010—0.750"], rows);

        server.Feed.Publish(TestPipelineSnapshots.Create(1) with
        {
            Challenger = Core.Telemetry.ChallengerTelemetry.None with { State = "refused", Rejected = "feature schema 'v1' is not 'v2'" },
        });
        await page.WaitForFunctionAsync("() => document.querySelector('#challenger-state').textContent.startsWith('refused')", null, Wait());
        Assert.Equal("refused: feature schema 'v1' is not 'v2'", await page.InnerTextAsync("#challenger-state"));
        Assert.Empty(browser.ConsoleErrors);
    }

    [ChromiumFact]
    public async Task Decline_and_review_tables_render_rows_without_a_score_while_the_model_is_down()
    {
        await using var server = await DashboardServer.StartAsync();
        server.Reviews.Add(TestSnapshots.ModelUnavailableReview("rv-no-model"));
        server.State.Publish(TestSnapshots.Create(1) with { RecentDeclines = [TestSnapshots.ModelUnavailableDecline(1)] });

        await using var browser = await BrowserSession.OpenAsync(server.Address);
        var page = browser.Page;
        await page.WaitForSelectorAsync("#reviews-table td:has-text('rv-no-model')", Selector());
        await page.WaitForSelectorAsync("#declines-table td:has-text('model_unavailable')", Selector());

        // The score column (4th of the declines, 6th of the reviews) says there is no score.
        Assert.Equal("—", await page.InnerTextAsync("#declines-table tbody tr:first-child td:nth-child(4)"));
        Assert.Equal("—", await page.InnerTextAsync("#reviews-table tbody tr:first-child td:nth-child(6)"));
        Assert.Matches("^\\d\\d:\\d\\d:\\d\\d$", await page.InnerTextAsync("#declines-table tbody tr:first-child td:nth-child(1)"));
        Assert.Empty(browser.ConsoleErrors);
    }

    private const string TargetLineScript = """
        () => {
          const u = window.fraudDashboard.charts.latency;
          const index = u.series.findIndex((s) => s.label === 'target');
          const values = u.data[index];
          const y = Math.round(u.valToPos(window.fraudDashboard.config.target_ms, 'y', true));
          let red = 0;
          for (let dy = -2; dy <= 2; dy++) {
            const row = u.ctx.getImageData(u.bbox.left, y + dy, u.bbox.width, 1).data;
            for (let i = 0; i < row.length; i += 4) {
              if (row[i] > 200 && row[i + 1] < 120 && row[i + 2] < 120 && row[i + 3] > 128) red++;
            }
          }
          return { value: values[values.length - 1], points: values.length, redPixels: red };
        }
        """;

    /// <summary>A wave under the 50 ms target with an occasional spike over it.</summary>
    [ChromiumFact]
    public async Task Beyond_loopback_the_page_reads_with_the_token_from_its_address_and_says_so_without_it()
    {
        const string ReadToken = "read-2c8e5a91f07d4b63";
        await using var server = await DashboardServer.StartAsync("review-9b14d0e6a3f7c285", "0.0.0.0", ReadToken);
        server.Reviews.Add(DashboardServer.Item("rv-2001", "••••4242", 1));
        using var stopStream = new CancellationTokenSource();
        var stream = RunStreamAsync(server, firstStep: 0, stopStream.Token);
        try
        {
            await using (var withToken = await BrowserSession.OpenAsync(new Uri(server.Address, "/#token=" + ReadToken)))
            {
                await withToken.Page.WaitForFunctionAsync("() => window.fraudDashboard && window.fraudDashboard.snapshotsSeen > 3", null, Wait());
                await withToken.Page.WaitForSelectorAsync("#reviews-table td:has-text('rv-2001')", Selector());
                Assert.DoesNotContain(ReadToken, withToken.Page.Url, StringComparison.Ordinal);
                Assert.Equal("live", await withToken.Page.InnerTextAsync("#connection"));
            }

            await using var without = await BrowserSession.OpenAsync(server.Address);
            await without.Page.WaitForFunctionAsync("() => document.querySelector('#connection').textContent.includes('read token required')", null, Wait());
            var text = await without.Page.InnerTextAsync("body");
            Assert.DoesNotContain("rv-2001", text, StringComparison.Ordinal);
        }
        finally
        {
            await stopStream.CancelAsync();
            await stream;
        }
    }

    private static double StreamP99(int step) => step % 17 == 0 ? 58 : 14 + (8 * Math.Sin(step / 5.0)) + (step % 4);

    /// <summary>Bounded: at most 600 snapshots (two minutes), stops when the test ends.</summary>
    private static async Task RunStreamAsync(DashboardServer server, int firstStep, CancellationToken cancellationToken)
    {
        for (var step = firstStep; step < firstStep + 600 && !cancellationToken.IsCancellationRequested; step++)
        {
            server.State.Publish(TestSnapshots.Create(step, p99Ms: StreamP99(step), at: DateTimeOffset.UtcNow));
            try
            {
                await Task.Delay(200, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Next to the test binaries; into docs/ only when asked, so test runs leave the checkout clean.</summary>
    private static string ScreenshotPath() =>
        Environment.GetEnvironmentVariable("FRAUDSTREAM_UPDATE_DOCS_SCREENSHOT") == "1"
            ? Path.Combine(RepositoryPaths.Root(), "docs", "dashboard.png")
            : Path.Combine(AppContext.BaseDirectory, "dashboard.png");

    private static PageWaitForFunctionOptions Wait() => new() { Timeout = WaitMs, PollingInterval = 100 };

    private static PageWaitForSelectorOptions Selector() => new() { Timeout = WaitMs };

    private sealed class TargetLineCheck
    {
        public double Value { get; set; }

        public int Points { get; set; }

        public int RedPixels { get; set; }
    }
}
