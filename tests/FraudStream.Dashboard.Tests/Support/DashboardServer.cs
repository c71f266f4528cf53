using System.Net;
using System.Net.Sockets;
using FraudStream.Dashboard.Hosting;
using FraudStream.Dashboard.Reviews;
using FraudStream.Dashboard.State;
using FraudStream.Dashboard.Tests.TestDoubles;

namespace FraudStream.Dashboard.Tests.Support;

/// <summary>A real Kestrel dashboard on a free loopback port, with state and review store the test drives.</summary>
internal sealed class DashboardServer : IAsyncDisposable
{
    public const string Token = "test-review-token-0123456789";

    private readonly DashboardHost _host;

    private DashboardServer(DashboardHost host, DashboardState state, InMemoryReviewStore reviews)
    {
        _host = host;
        State = state;
        Reviews = reviews;
        Client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public DashboardState State { get; }

    public InMemoryReviewStore Reviews { get; }

    public HttpClient Client { get; }

    public Uri Address => _host.Address!;

    public static async Task<DashboardServer> StartAsync(string? reviewToken = Token)
    {
        var state = new DashboardState();
        var reviews = new InMemoryReviewStore();
        var options = new DashboardOptions
        {
            Port = FreePort(),
            ReviewToken = reviewToken,
            TargetMs = TestSnapshots.TargetMs,
        };
        var host = await DashboardHost.StartAsync(options, state, reviews, null, CancellationToken.None);
        return new DashboardServer(host, state, reviews);
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

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _host.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
