using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using FraudStream.Dashboard.Tests.Support;

namespace FraudStream.Dashboard.Tests.Api;

public sealed class ReadOnlyDashboardTests
{
    [Fact]
    public async Task Without_a_configured_token_every_mark_is_forbidden()
    {
        await using var server = await DashboardServer.StartAsync(reviewToken: null);
        server.Reviews.Add(DashboardServer.Item("r1", "••••1234", 1));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/reviews/r1/mark")
        {
            Content = JsonContent.Create(new { fraud = false, analyst = "bob" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "");
        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(server.Reviews.Marks);
        var reviews = await server.Client.GetStringAsync(new Uri("/api/reviews", UriKind.Relative));
        Assert.Contains("\"marking_enabled\":false", reviews, StringComparison.Ordinal);
    }
}
