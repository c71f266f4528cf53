using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FraudStream.Ingest.Kafka;
using FraudStream.Service.Hosting;
using FraudStream.Service.Tests.Infrastructure;
using FraudStream.Testing;

namespace FraudStream.Service.Tests.Dashboard;

/// <summary>The dashboard's API on the real, running service: numbers from the pipeline, rule hits, reviews from the store.</summary>
public sealed class LiveDashboardTests
{
    private const string Token = "test-review-token-0123456789";

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task The_running_service_serves_live_numbers_rule_hits_metrics_and_a_review_queue_that_needs_the_token()
    {
        using var broker = EmbeddedBroker.Start(brokers: 1, partitions: 3);
        var port = FreePort();
        var settings = new ServeSettings
        {
            Bootstrap = broker.BootstrapServers,
            Database = "sqlite:" + Path.Combine(Directory.CreateTempSubdirectory("fs-dash-").FullName, "store.db"),
            DashboardPort = port,
            ReviewToken = Token,
            GroupId = "dash-" + Guid.NewGuid().ToString("N")[..8],
            ModelDirectory = RepositoryPaths.Of("data", "model"),
            RulesFile = RepositoryPaths.Of("data", "rules", "default.rules"),
            TokenKey = TestServeSettings.TokenKey,
        };
        await using var service = await RunningService.StartAsync(settings);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);

        // Amounts far above each card's habit, at odd hours: some of them land in review.
        using (var publisher = new TransactionPublisher(broker.BootstrapServers))
        {
            for (var i = 0; i < 3000; i++)
            {
                var tx = TestTransactions.Make(i);
                if (i % 50 == 49)
                {
                    tx.Amount = 4_000m + i;
                    tx.Country = "NG";
                    tx.Latitude = 6.5;
                    tx.Longitude = 3.4;
                    tx.Channel = Core.Contracts.PaymentChannel.Ecom;
                    tx.Device = "dev-new-" + i;
                }

                publisher.Publish(tx);
            }

            publisher.Flush(TimeSpan.FromSeconds(30));
        }

        await RunningService.WaitForAsync(async () => await service.Store.CountDecisionsAsync() == 3000, TimeSpan.FromSeconds(60), "3000 decisions");
        await RunningService.WaitForAsync(async () =>
        {
            using var response = await http.GetAsync("api/snapshot");
            if (!response.IsSuccessStatusCode)
            {
                return false; // no snapshot published yet
            }

            using var snapshot = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var totals = snapshot.RootElement.GetProperty("decisions_total");
            return totals.GetProperty("approve").GetInt64() + totals.GetProperty("review").GetInt64() + totals.GetProperty("decline").GetInt64() == 3000;
        }, TimeSpan.FromSeconds(30), "the snapshot to count every decision");

        using (var snapshot = JsonDocument.Parse(await http.GetStringAsync("api/snapshot")))
        {
            // Every rule of the file is counted, shadow rules included, and the 3000 decisions hit some of them.
            var hits = snapshot.RootElement.GetProperty("rules").GetProperty("hit_totals").EnumerateArray().ToList();
            Assert.Contains(hits, h => h.GetProperty("name").GetString() == "amount_outlier" && h.GetProperty("shadow").GetBoolean());
            Assert.Contains(hits, h => h.GetProperty("name").GetString() == "model_decline" && h.GetProperty("action").GetString() == "decline");
            Assert.True(hits.Sum(h => h.GetProperty("hits").GetInt64()) > 0, "no rule hit in 3000 decisions");
            Assert.NotEqual(0, snapshot.RootElement.GetProperty("scorer").GetProperty("batch_sizes").GetArrayLength());

            // Alone in its group, the instance decides every partition and follows none.
            var instance = snapshot.RootElement.GetProperty("instance");
            Assert.Equal("fraudstream-service", instance.GetProperty("name").GetString());
            Assert.Equal([0, 1, 2], instance.GetProperty("partitions_decided").EnumerateArray().Select(p => p.GetInt32()));
            Assert.Equal(0, instance.GetProperty("partitions_followed").GetArrayLength());
            Assert.Equal(0, instance.GetProperty("partitions_replaying").GetInt64());
            Assert.Equal(-1, instance.GetProperty("checkpoint").GetProperty("restored_seq").GetInt64());
        }

        // Persist latency is recorded and, like every stage, exported (the metrics follow the snapshots on a reader of their own).
        var metrics = "";
        await RunningService.WaitForAsync(async () =>
        {
            metrics = await http.GetStringAsync("metrics");
            var persisted = Regex.Match(metrics, "^fraudstream_stage_latency_seconds_count\\{stage=\"persist\"\\} (\\d+)", RegexOptions.Multiline);
            return persisted.Success && long.Parse(persisted.Groups[1].Value, CultureInfo.InvariantCulture) > 0;
        }, TimeSpan.FromSeconds(30), "persist latency in /metrics");
        Assert.Contains("stage=\"end_to_end\"", metrics, StringComparison.Ordinal);
        Assert.Contains("stage=\"scoring_compute\"", metrics, StringComparison.Ordinal);
        Assert.Contains("fraudstream_rule_hits{rule=\"amount_outlier\",action=\"review\",shadow=\"true\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("fraudstream_rule_hits{rule=\"model_decline\",action=\"decline\",shadow=\"false\"}", metrics, StringComparison.Ordinal);

        var reviews = JsonDocument.Parse(await http.GetStringAsync("api/reviews")).RootElement;
        var items = reviews.ValueKind == JsonValueKind.Array ? reviews : reviews.GetProperty("items");
        Assert.True(items.GetArrayLength() > 0, "the unusual transactions should be queued for review");
        var id = items[0].GetProperty("id").GetString()!;
        Assert.DoesNotContain("card-", items[0].GetProperty("card").GetString(), StringComparison.Ordinal);

        var body = new StringContent("{\"fraud\":true,\"analyst\":\"it\"}", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync($"api/reviews/{id}/mark", body)).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/reviews/{id}/mark")
        {
            Content = new StringContent("{\"fraud\":true,\"analyst\":\"it\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request)).StatusCode);
        var labeled = await service.Store.GetLabeledDecisionsAsync();
        Assert.True(labeled.Single(d => d.Id == id).Fraud);
        // The verdict also reaches the labels topic, where the service's labels consumer picks it up.
        await RunningService.WaitForAsync(() => Task.FromResult(service.Service.LabelsReceived >= 1), TimeSpan.FromSeconds(30), "the label to come back from Kafka");
    }
}
