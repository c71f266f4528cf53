using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FraudStream.Core.Telemetry;
using FraudStream.Dashboard.Hosting;
using FraudStream.Dashboard.Reviews;
using FraudStream.Dashboard.State;
using FraudStream.Dashboard.Tests.TestDoubles;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FraudStream.Dashboard.Tests.Support;

/// <summary>
/// The dashboard alone on a real Kestrel (a free loopback port), registered as the service registers it
/// (<see cref="DashboardRegistration.AddDashboard"/>), with the state, feed and review store the test drives.
/// </summary>
internal sealed class DashboardServer : IAsyncDisposable
{
    public const string Token = "test-review-token-0123456789";

    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, InMemoryReviewStore reviews, Uri address)
    {
        _app = app;
        State = app.Services.GetRequiredService<DashboardState>();
        Feed = app.Services.GetRequiredService<ITelemetryFeed>();
        Reviews = reviews;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public DashboardState State { get; }

    /// <summary>Where the pipeline's reporter publishes: snapshots sent here are converted, then stored in <see cref="State"/>.</summary>
    public ITelemetryFeed Feed { get; }

    public InMemoryReviewStore Reviews { get; }

    public HttpClient Client { get; }

    public Uri Address { get; }

    public static async Task<DashboardServer> StartAsync(string? reviewToken = Token, string bindAddress = "127.0.0.1", string? readToken = null)
    {
        var port = FreePort();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dashboard:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Dashboard:ReviewToken"] = reviewToken,
            ["Dashboard:BindAddress"] = bindAddress,
            ["Dashboard:ReadToken"] = readToken,
        });
        var reviews = new InMemoryReviewStore();
        builder.Services.AddSingleton<IReviewStore>(reviews);
        builder.Services.AddSingleton(new LatencyTarget(TestSnapshots.TargetMs));
        builder.AddDashboard();
        var app = builder.Build();
        app.MapFraudStreamDashboard();
        await app.StartAsync();
        return new DashboardServer(app, reviews, new Uri($"http://127.0.0.1:{port}/"));
    }

    public static ReviewItem Item(string id, string card, int minute) => new()
    {
        Id = id,
        Time = TestSnapshots.Start.AddMinutes(minute),
        Card = card,
        Merchant = "M1823072687",
        Amount = 249.99m,
        Currency = "EUR",
        Score = 0.71,
        Reasons = ["score_between_0.6_and_0.9"],
    };

    /// <summary>GETs <paramref name="path"/>, which must answer 200 with JSON.</summary>
    public async Task<JsonDocument> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// GETs <paramref name="path"/> until <paramref name="ready"/> holds (at most 100 tries, 100 ms apart) and returns the
    /// last text: /metrics follows the published snapshots on a background reader.
    /// </summary>
    public async Task<string> PollAsync(string path, Func<string, bool> ready)
    {
        var text = "";
        for (var attempt = 0; attempt < 100; attempt++)
        {
            text = await Client.GetStringAsync(new Uri(path, UriKind.Relative));
            if (ready(text))
            {
                return text;
            }

            await Task.Delay(100);
        }

        return text;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
