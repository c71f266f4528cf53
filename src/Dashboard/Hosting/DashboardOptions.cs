using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FraudStream.Dashboard.Hosting;

/// <summary>Where the dashboard listens and who may mark reviews: section <c>Dashboard</c>, validated at start.</summary>
public sealed class DashboardOptions
{
    public const string Section = "Dashboard";

    /// <summary>TCP port; 0 disables the dashboard.</summary>
    public int Port { get; set; }

    /// <summary>Loopback unless configured otherwise: the page is operational data.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Host names (comma-separated) the dashboard answers for; other Host headers get 400. Unset: localhost, 127.0.0.1
    /// and [::1] when bound to loopback (against DNS rebinding), any name otherwise.
    /// </summary>
    public string? AllowedHosts { get; set; }

    /// <summary>Bearer token required to mark reviews; null or empty refuses every mark (read-only).</summary>
    public string? ReviewToken { get; set; }

    /// <summary>
    /// Bearer token for the read endpoints (<c>/api/*</c>, <c>/metrics</c>) when bound beyond loopback; unset, the review
    /// token serves. On loopback reads need no token (the Host check keeps other sites out).
    /// </summary>
    public string? ReadToken { get; set; }

    /// <summary>
    /// Not a setting: the latency target is <c>Decisions:TargetMs</c> (<c>--target-ms</c>), one value for the whole
    /// service. Bound only so that a configured <c>Dashboard:TargetMs</c> is refused at start, not silently ignored.
    /// </summary>
    public double? TargetMs { get; set; }

    public bool MarkingEnabled => !string.IsNullOrEmpty(ReviewToken);

    /// <summary>Whether <see cref="BindAddress"/> is reachable only from this machine.</summary>
    public bool IsLoopback => BindAddress == "localhost" || (IPAddress.TryParse(BindAddress, out var address) && IPAddress.IsLoopback(address));

    /// <summary>The token reads need, or null when they need none (loopback).</summary>
    public string? EffectiveReadToken => IsLoopback ? null : (string.IsNullOrEmpty(ReadToken) ? ReviewToken : ReadToken);

    /// <summary>
    /// Whether <paramref name="configuration"/> asks for a dashboard, read before the host is built (the host only
    /// runs a web server for one). A port that is not a number counts as asked for, so that validation reports it.
    /// </summary>
    public static bool IsRequestedIn(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var port = configuration[Section + ":" + nameof(Port)];
        return !string.IsNullOrWhiteSpace(port) && !(int.TryParse(port, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number == 0);
    }
}

/// <summary>Every invalid dashboard setting, each named as it is configured, in one line.</summary>
public sealed class DashboardOptionsValidator : IValidateOptions<DashboardOptions>
{
    private const int MinimumTokenLength = 16;

    // Tokens that appeared in example configurations: anyone who read them knows them.
    private static readonly string[] KnownPlaceholders = ["change-this-review-token-now", "ci-placeholder-token-0123456789", "test-review-token-0123456789"];

    public ValidateOptionsResult Validate(string? name, DashboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            errors.Add($"Dashboard:Port (--dashboard-port) must be 0 (off) to 65535, got {options.Port}");
        }

        if (string.IsNullOrWhiteSpace(options.BindAddress) ||
            (options.BindAddress != "localhost" && !IPAddress.TryParse(options.BindAddress, out _)))
        {
            errors.Add($"Dashboard:BindAddress must be an IP address or 'localhost', got '{options.BindAddress}'");
        }

        CheckToken(errors, "Dashboard:ReviewToken", options.ReviewToken, options);
        CheckToken(errors, "Dashboard:ReadToken", options.ReadToken, options);
        if (options.Port != 0 && !options.IsLoopback && string.IsNullOrEmpty(options.EffectiveReadToken) && errors.Count == 0)
        {
            errors.Add($"Dashboard:ReadToken (or Dashboard:ReviewToken) is required when Dashboard:BindAddress ({options.BindAddress}) is beyond loopback: " +
                "the API and /metrics show decisions, card tokens and review items");
        }

        if (options.TargetMs is not null)
        {
            errors.Add("Dashboard:TargetMs is not a setting: the latency target is Decisions:TargetMs (--target-ms), for the whole service");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckToken(List<string> errors, string setting, string? token, DashboardOptions options)
    {
        if (string.IsNullOrEmpty(token))
        {
            return;
        }

        if (token.Length < MinimumTokenLength || token.Any(char.IsWhiteSpace))
        {
            errors.Add($"{setting} must be at least {MinimumTokenLength} characters without whitespace");
        }
        else if (!options.IsLoopback && (Array.IndexOf(KnownPlaceholders, token) >= 0 || token.Distinct().Count() < 6))
        {
            errors.Add($"{setting} is a placeholder or has fewer than 6 distinct characters; bound beyond loopback ({options.BindAddress}) it must be a secret " +
                "(e.g. openssl rand -hex 24)");
        }
    }
}
