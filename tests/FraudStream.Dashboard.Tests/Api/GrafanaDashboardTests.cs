using System.Text.Json;
using System.Text.RegularExpressions;
using FraudStream.Dashboard.Tests.Support;
using FraudStream.Testing;

namespace FraudStream.Dashboard.Tests.Api;

/// <summary>The provisioned Grafana dashboard only queries metrics the service really exports.</summary>
public sealed partial class GrafanaDashboardTests
{
    [Fact]
    public async Task Every_metric_the_grafana_dashboard_queries_is_exported_on_metrics()
    {
        var path = Path.Combine(RepositoryPaths.Root(), "deploy", "grafana", "dashboards", "fraudstream.json");
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(path));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .ToList();
        var queried = expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).ToHashSet();
        Assert.Contains("fraudstream_latency_target_seconds", queried);
        Assert.Contains("fraudstream_stage_latency_seconds_bucket", queried);

        await using var server = await DashboardServer.StartAsync();
        server.State.Publish(TestSnapshots.Create(1));
        var exported = "";
        for (var attempt = 0; attempt < 100 && !exported.Contains("fraudstream_rules_fired_total{", StringComparison.Ordinal); attempt++)
        {
            await Task.Delay(100);
            exported = await server.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        }

        var missing = queried.Where(name => !Regex.IsMatch(exported, $"^{name}[{{ ]", RegexOptions.Multiline)).ToList();
        Assert.Empty(missing);
    }

    [GeneratedRegex("fraudstream_[a-z_]+")]
    private static partial Regex MetricName();
}
