using System.Text.Json;
using System.Text.Json.Serialization;

namespace FraudStream.Dashboard.Hosting;

/// <summary>The one JSON shape of the API and the live stream: snake_case, enums as strings.</summary>
public static class DashboardJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>A number the page can format, or null ("—"): NaN and infinities never reach the page.</summary>
    public static double? FiniteOrNull(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
