using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace FraudStream.Dashboard.Hosting;

/// <summary>The token a request carries, compared in constant time.</summary>
internal static class BearerToken
{
    private const string Scheme = "Bearer ";

    /// <summary>Whether the request's <c>Authorization: Bearer</c> header carries <paramref name="expected"/>.</summary>
    public static bool InHeader(HttpRequest request, string expected)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && Equal(header[Scheme.Length..].Trim(), expected);
    }

    /// <summary>
    /// The header, or the <c>access_token</c> query parameter: a browser's EventSource cannot set headers (the page
    /// removes the token from its address bar; a proxy that logs query strings would see it).
    /// </summary>
    public static bool InHeaderOrQuery(HttpRequest request, string expected) =>
        InHeader(request, expected) || (request.Query.TryGetValue("access_token", out var given) && given.Count == 1 && Equal(given[0] ?? "", expected));

    private static bool Equal(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
}
