using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace FraudStream.Dashboard.Hosting;

/// <summary>
/// Bound beyond loopback, the read endpoints (<c>/api/*</c>, <c>/metrics</c>) answer 401 without the read token
/// (<see cref="DashboardOptions.EffectiveReadToken"/>): they show decisions, card tokens and the review queue. The page
/// and its assets carry no data and stay open, as does <c>/healthz</c> for orchestrators; marking checks the review
/// token itself.
/// </summary>
internal sealed class ReadAccessCheck(IOptions<DashboardOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var token = options.Value.EffectiveReadToken;
        if (!string.IsNullOrEmpty(token))
        {
            app.Use(async (context, nextMiddleware) =>
            {
                if (NeedsToken(context.Request) && !BearerToken.InHeaderOrQuery(context.Request, token))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await context.Response.WriteAsync("the dashboard's read token is required", context.RequestAborted).ConfigureAwait(false);
                    return;
                }

                await nextMiddleware(context).ConfigureAwait(false);
            });
        }

        next(app);
    };

    internal static bool NeedsToken(HttpRequest request)
    {
        var path = request.Path;
        if (path.StartsWithSegments("/metrics", StringComparison.Ordinal))
        {
            return true;
        }

        return path.StartsWithSegments("/api", StringComparison.Ordinal) && !HttpMethods.IsPost(request.Method);
    }
}
