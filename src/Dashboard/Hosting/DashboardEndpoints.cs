using System.Text.Json;
using FraudStream.Core.Latency;
using FraudStream.Core.Telemetry;
using FraudStream.Dashboard.Metrics;
using FraudStream.Dashboard.Privacy;
using FraudStream.Dashboard.Reviews;
using FraudStream.Dashboard.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Prometheus;

namespace FraudStream.Dashboard.Hosting;

/// <summary>The page, its JSON API and live stream, /healthz and /metrics.</summary>
public static class DashboardEndpoints
{
    public const int MaxReviewItems = 200;
    public const int MaxAnalystLength = 100;

    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private static readonly TimeSpan StreamKeepAlive = TimeSpan.FromSeconds(15);

    private static readonly PageStage[] PageStages = BuildPageStages();

    /// <summary>Maps every dashboard endpoint. Requires <see cref="DashboardRegistration.AddDashboard"/> on the builder.</summary>
    public static IEndpointRouteBuilder MapFraudStreamDashboard(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);

        endpoints.MapGet("/", (HttpContext context) => ServeAsset(context, "index.html"));
        endpoints.MapGet("/assets/{**path}", (HttpContext context, string path) => ServeAsset(context, path));
        endpoints.MapGet("/healthz", Health);
        endpoints.MapGet("/api/config", Config);
        endpoints.MapGet("/api/snapshot", Snapshot);
        endpoints.MapGet("/api/history", History);
        endpoints.MapGet("/api/stream", StreamAsync);
        endpoints.MapGet("/api/reviews", ReviewsAsync);
        endpoints.MapPost("/api/reviews/{id}/mark", MarkAsync);

        var metrics = endpoints.ServiceProvider.GetRequiredService<DashboardMetrics>();
        endpoints.MapMetrics("/metrics", metrics.Registry);
        return endpoints;
    }

    private static Task ServeAsset(HttpContext context, string path)
    {
        if (!DashboardAssets.Instance.TryGet(path, out var asset))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        if (context.Request.Headers.IfNoneMatch == asset.ETag)
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        context.Response.ContentType = asset.ContentType;
        context.Response.ContentLength = asset.Content.Length;
        return context.Response.Body.WriteAsync(asset.Content).AsTask();
    }

    /// <summary>
    /// ok, or degraded (503) while the store refuses the outcomes: decisions are still produced, but nothing is stored or
    /// committed, so an orchestrator or a load balancer should know (the reporter publishes this once a second).
    /// </summary>
    private static IResult Health(DashboardState state, TimeProvider clock)
    {
        var latest = state.Latest;
        var now = clock.GetUtcNow();
        double? age = latest is null ? null : (now - latest.Timestamp).TotalSeconds;
        if (latest?.StoreFailingSince is { } failing)
        {
            return Results.Json(new HealthResponse("degraded", latest.Sequence, age, "store refusing outcomes since " + failing.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                Math.Max(0, (now - failing).TotalSeconds)), DashboardJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return Results.Json(new HealthResponse("ok", latest?.Sequence ?? 0, age), DashboardJson.Options);
    }

    /// <summary>What the page draws with before the first snapshot: the target, and every stage in pipeline order.</summary>
    private static IResult Config(IOptions<DashboardOptions> options, LatencyTarget target, DashboardState state) =>
        Results.Json(
            new ConfigResponse(target.Milliseconds, options.Value.MarkingEnabled, state.HistoryCapacity, PageStages),
            DashboardJson.Options);

    private static IResult Snapshot(DashboardState state) =>
        state.Latest is { } latest
            ? Results.Json(latest, DashboardJson.Options)
            : Results.Json(new ErrorResponse("no snapshot published yet"), DashboardJson.Options, statusCode: StatusCodes.Status404NotFound);

    private static IResult History(DashboardState state, int? seconds)
    {
        var window = Math.Clamp(seconds ?? 300, 1, state.HistoryCapacity);
        return Results.Json(state.GetHistory(TimeSpan.FromSeconds(window)), DashboardJson.Options);
    }

    /// <summary>Server-sent events: the latest snapshot at once, then each new one as it is published.</summary>
    private static async Task StreamAsync(HttpContext context, DashboardState state, IHostApplicationLifetime lifetime)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        // Ends with the request or when the host stops, so an open page does not hold up shutdown.
        using var streamLifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var aborted = streamLifetime.Token;
        await response.Body.FlushAsync(aborted);

        long sent = 0;
        try
        {
            if (state.Latest is { } first)
            {
                await WriteEventAsync(response, first, aborted);
                sent = first.Sequence;
            }

            while (!aborted.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                wait.CancelAfter(StreamKeepAlive);
                try
                {
                    await state.WaitForNewerAsync(sent, wait.Token);
                }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", aborted);
                    await response.Body.FlushAsync(aborted);
                    continue;
                }

                if (state.Latest is { } latest && latest.Sequence > sent)
                {
                    await WriteEventAsync(response, latest, aborted);
                    sent = latest.Sequence;
                }
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The page went away or the host is stopping.
        }
    }

    private static async Task WriteEventAsync(HttpResponse response, Snapshots.DashboardSnapshot snapshot, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(snapshot, DashboardJson.Options);
        await response.WriteAsync($"id: {snapshot.Sequence}\nevent: snapshot\ndata: {json}\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static async Task<IResult> ReviewsAsync(IReviewStore reviews, IOptions<DashboardOptions> options, int? limit, CancellationToken cancellationToken)
    {
        var items = await reviews.GetOpenAsync(Math.Clamp(limit ?? 50, 1, MaxReviewItems), cancellationToken);
        var safe = new ReviewItem[items.Count];
        for (var i = 0; i < safe.Length; i++)
        {
            safe[i] = Sanitize(items[i]);
        }

        return Results.Json(new ReviewsResponse(safe, options.Value.MarkingEnabled), DashboardJson.Options);
    }

    private static async Task<IResult> MarkAsync(
        HttpContext context, string id, IReviewStore reviews, IOptions<DashboardOptions> dashboard, CancellationToken cancellationToken)
    {
        var options = dashboard.Value;
        if (!options.MarkingEnabled)
        {
            return Error("marking reviews is disabled: no review token is configured", StatusCodes.Status403Forbidden);
        }

        if (!BearerToken.InHeader(context.Request, options.ReviewToken!))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Error("a valid review token is required", StatusCodes.Status401Unauthorized);
        }

        MarkRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<MarkRequest>(context.Request.Body, DashboardJson.Options, cancellationToken);
        }
        catch (JsonException)
        {
            return Error("body must be JSON {\"fraud\": true|false, \"analyst\": \"name\"}", StatusCodes.Status400BadRequest);
        }

        if (request?.Fraud is not { } fraud)
        {
            return Error("'fraud' (true or false) is required", StatusCodes.Status400BadRequest);
        }

        var analyst = request.Analyst?.Trim();
        if (string.IsNullOrEmpty(analyst) || analyst.Length > MaxAnalystLength)
        {
            return Error($"'analyst' is required, at most {MaxAnalystLength} characters", StatusCodes.Status400BadRequest);
        }

        var result = await reviews.MarkAsync(id, fraud, analyst, cancellationToken);
        return result switch
        {
            ReviewMarkResult.Marked => Results.Json(new MarkResponse(PanGuard.Text(id), fraud, analyst, "marked"), DashboardJson.Options),
            ReviewMarkResult.AlreadyMarked => Error("this review item is already marked", StatusCodes.Status409Conflict),
            _ => Error("no open review item with this id", StatusCodes.Status404NotFound),
        };
    }

    private static ReviewItem Sanitize(ReviewItem item)
    {
        var reasons = new string[item.Reasons.Count];
        for (var i = 0; i < reasons.Length; i++)
        {
            reasons[i] = PanGuard.Text(item.Reasons[i]);
        }

        return item with
        {
            Id = PanGuard.Text(item.Id),
            Card = PanGuard.Card(item.Card),
            Merchant = PanGuard.Text(item.Merchant),
            Reasons = reasons,
            Score = DashboardJson.FiniteOrNull(item.Score),
        };
    }

    private static PageStage[] BuildPageStages()
    {
        var stages = new PageStage[StageNames.Count];
        for (var i = 0; i < stages.Length; i++)
        {
            var stage = (Stage)i;
            stages[i] = new PageStage(stage.Name(), stage.IsStepOfEndToEnd());
        }

        return stages;
    }

    private static IResult Error(string message, int status) =>
        Results.Json(new ErrorResponse(message), DashboardJson.Options, statusCode: status);

    private sealed record MarkRequest(bool? Fraud, string? Analyst);

    private sealed record MarkResponse(string Id, bool Fraud, string Analyst, string Status);

    private sealed record ReviewsResponse(IReadOnlyList<ReviewItem> Items, bool MarkingEnabled);

    private sealed record ConfigResponse(double TargetMs, bool MarkingEnabled, int HistorySeconds, IReadOnlyList<PageStage> Stages);

    /// <summary>A stage as the page lists it; <see cref="StepOfEndToEnd"/> stages make up the end-to-end path.</summary>
    private sealed record PageStage(string Name, bool StepOfEndToEnd);

    private sealed record HealthResponse(string Status, long LatestSequence, double? LatestAgeSeconds, string? Reason = null, double? StoreFailingSeconds = null);

    private sealed record ErrorResponse(string Error);
}
