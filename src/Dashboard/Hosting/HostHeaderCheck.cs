using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace FraudStream.Dashboard.Hosting;

/// <summary>
/// Refuses requests whose Host header names a host the dashboard does not answer for (400): a page on another site
/// whose name was rebound to 127.0.0.1 (DNS rebinding) would otherwise read a loopback dashboard as its own origin.
/// Bound to loopback, the dashboard answers for localhost, 127.0.0.1 and [::1] (any port); otherwise for the names in
/// <c>Dashboard:AllowedHosts</c>, or for any name when none is configured.
/// </summary>
internal sealed class HostHeaderCheck(IOptions<DashboardOptions> options) : IStartupFilter
{
    private static readonly string[] LoopbackNames = ["localhost", "127.0.0.1", "[::1]", "::1"];

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var allowed = AllowedHosts(options.Value);
        app.Use(async (context, nextMiddleware) =>
        {
            if (allowed is not null && !Allows(allowed, context.Request.Host))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync("host not allowed", context.RequestAborted).ConfigureAwait(false);
                return;
            }

            await nextMiddleware(context).ConfigureAwait(false);
        });
        next(app);
    };

    /// <summary>The host names answered for, or null for any.</summary>
    internal static HashSet<string>? AllowedHosts(DashboardOptions options)
    {
        if (options.AllowedHosts is { Length: > 0 } configured)
        {
            return new HashSet<string>(configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase);
        }

        return options.IsLoopback ? new HashSet<string>(LoopbackNames, StringComparer.OrdinalIgnoreCase) : null;
    }

    internal static bool Allows(HashSet<string> allowed, HostString host) => host.HasValue && allowed.Contains(host.Host);
}
