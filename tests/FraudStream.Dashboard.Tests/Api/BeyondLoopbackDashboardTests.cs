using System.Net;
using System.Net.Http.Headers;
using FraudStream.Dashboard.Tests.Support;

namespace FraudStream.Dashboard.Tests.Api;

/// <summary>A dashboard bound to every interface (as in docker-compose.yml): reads need the read token.</summary>
public sealed class BeyondLoopbackDashboardTests : IAsyncLifetime
{
    private const string ReadToken = "read-7d1f0c9a4be25e83f6a1";
    private const string ReviewToken = "review-e3b90a7c15d2f648";

    private DashboardServer _server = null!;

    public async Task InitializeAsync() => _server = await DashboardServer.StartAsync(ReviewToken, "0.0.0.0", ReadToken);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("/api/config")]
    [InlineData("/api/snapshot")]
    [InlineData("/api/history?seconds=60")]
    [InlineData("/api/reviews")]
    [InlineData("/metrics")]
    public async Task Every_read_endpoint_answers_401_without_the_read_token_and_to_the_review_token(string path)
    {
        using (var anonymous = await _server.Client.GetAsync(new Uri(path, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.ToString());
        }

        // The review token marks reviews; once a read token is configured it does not read.
        using var wrong = await SendAsync(path, ReviewToken);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using var withToken = await SendAsync(path, ReadToken);
        Assert.NotEqual(HttpStatusCode.Unauthorized, withToken.StatusCode);
        Assert.NotEqual(HttpStatusCode.BadRequest, withToken.StatusCode);
    }

    [Fact]
    public async Task The_live_stream_takes_the_token_as_a_query_parameter_because_EventSource_sends_no_headers()
    {
        using var refused = await _server.Client.GetAsync(new Uri("/api/stream?access_token=wrong-token-0123456789", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var stream = await _server.Client.GetAsync(new Uri("/api/stream?access_token=" + ReadToken, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/healthz")]
    public async Task The_page_and_health_carry_no_data_and_stay_open(string path)
    {
        using var response = await _server.Client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Marking_checks_the_review_token_not_the_read_token()
    {
        using var withRead = await PostMarkAsync(ReadToken);
        Assert.Equal(HttpStatusCode.Unauthorized, withRead.StatusCode);
        using var withReview = await PostMarkAsync(ReviewToken);
        Assert.Equal(HttpStatusCode.NotFound, withReview.StatusCode); // authorised: there is no such open review item
    }

    private async Task<HttpResponseMessage> SendAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _server.Client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> PostMarkAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/reviews/no-such-id/mark")
        {
            Content = new StringContent("{\"fraud\":true,\"analyst\":\"ana\"}", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _server.Client.SendAsync(request);
    }
}
