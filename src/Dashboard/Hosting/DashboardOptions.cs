using System.Net;

namespace FraudStream.Dashboard.Hosting;

/// <summary>Where the dashboard listens and who may mark reviews. Validated when the dashboard starts.</summary>
public sealed class DashboardOptions
{
    /// <summary>TCP port; 0 disables the dashboard.</summary>
    public int Port { get; set; }

    /// <summary>Loopback unless configured otherwise: the page is operational data.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Bearer token required to mark reviews; null or empty refuses every mark (read-only).</summary>
    public string? ReviewToken { get; set; }

    /// <summary>End-to-end latency target drawn on the charts, in milliseconds.</summary>
    public double TargetMs { get; set; } = 50;

    public bool Enabled => Port != 0;

    public bool MarkingEnabled => !string.IsNullOrEmpty(ReviewToken);

    /// <summary>Every problem with the options, empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Port is < 0 or > 65535)
        {
            errors.Add($"Dashboard port must be 0 (disabled) to 65535, got {Port}.");
        }

        if (string.IsNullOrWhiteSpace(BindAddress) ||
            (BindAddress != "localhost" && !IPAddress.TryParse(BindAddress, out _)))
        {
            errors.Add($"Dashboard bind address must be an IP address or 'localhost', got '{BindAddress}'.");
        }

        if (!double.IsFinite(TargetMs) || TargetMs <= 0)
        {
            errors.Add($"Dashboard latency target must be a positive number of milliseconds, got {TargetMs}.");
        }

        if (ReviewToken is { Length: > 0 } token && (token.Length < 16 || token.Any(char.IsWhiteSpace)))
        {
            errors.Add("Dashboard review token must be at least 16 characters without whitespace.");
        }

        return errors;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem.</summary>
    public void EnsureValid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors));
        }
    }
}
