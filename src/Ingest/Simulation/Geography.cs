namespace FraudStream.Ingest.Simulation;

/// <summary>A city where cards live and merchants trade, or where fraudsters operate from.</summary>
internal sealed record City(string Name, string Country, string Currency, double Latitude, double Longitude, int UtcOffsetHours);

/// <summary>The places of the simulated world. Home cities hold the cardholders; the others are fraud origins.</summary>
internal static class Geography
{
    /// <summary>Cardholders' cities with their share of cards. Mostly euro countries, some GB and US.</summary>
    public static readonly (City City, double Weight)[] HomeCities =
    [
        (new("Madrid", "ES", "EUR", 40.4168, -3.7038, 1), 0.10),
        (new("Barcelona", "ES", "EUR", 41.3874, 2.1686, 1), 0.08),
        (new("Valencia", "ES", "EUR", 39.4699, -0.3763, 1), 0.04),
        (new("Seville", "ES", "EUR", 37.3891, -5.9845, 1), 0.03),
        (new("Paris", "FR", "EUR", 48.8566, 2.3522, 1), 0.10),
        (new("Lyon", "FR", "EUR", 45.7640, 4.8357, 1), 0.05),
        (new("Marseille", "FR", "EUR", 43.2965, 5.3698, 1), 0.04),
        (new("Berlin", "DE", "EUR", 52.5200, 13.4050, 1), 0.08),
        (new("Munich", "DE", "EUR", 48.1351, 11.5820, 1), 0.06),
        (new("Hamburg", "DE", "EUR", 53.5511, 9.9937, 1), 0.05),
        (new("Rome", "IT", "EUR", 41.9028, 12.4964, 1), 0.05),
        (new("Milan", "IT", "EUR", 45.4642, 9.1900, 1), 0.05),
        (new("Amsterdam", "NL", "EUR", 52.3676, 4.9041, 1), 0.03),
        (new("Rotterdam", "NL", "EUR", 51.9244, 4.4777, 1), 0.02),
        (new("London", "GB", "GBP", 51.5072, -0.1276, 0), 0.07),
        (new("Manchester", "GB", "GBP", 53.4808, -2.2426, 0), 0.03),
        (new("New York", "US", "USD", 40.7128, -74.0060, -5), 0.05),
        (new("Chicago", "US", "USD", 41.8781, -87.6298, -6), 0.04),
        (new("Los Angeles", "US", "USD", 34.0522, -118.2437, -8), 0.03),
    ];

    /// <summary>Where account takeovers and leaked-card fraud are operated from: never a cardholder's home.</summary>
    public static readonly City[] FraudOrigins =
    [
        new("Bucharest", "RO", "RON", 44.4268, 26.1025, 2),
        new("Lagos", "NG", "NGN", 6.5244, 3.3792, 1),
        new("Sao Paulo", "BR", "BRL", -23.5505, -46.6333, -3),
        new("Jakarta", "ID", "IDR", -6.2088, 106.8456, 7),
        new("Manila", "PH", "PHP", 14.5995, 120.9842, 8),
        new("Kyiv", "UA", "UAH", 50.4501, 30.5234, 2),
        new("Ho Chi Minh City", "VN", "VND", 10.8231, 106.6297, 7),
    ];

    /// <summary>Great-circle distance in kilometres.</summary>
    public static double DistanceKm(double lat1, double lon1, double lat2, double lon2)
    {
        const double EarthRadiusKm = 6371.0;
        var dLat = double.DegreesToRadians(lat2 - lat1);
        var dLon = double.DegreesToRadians(lon2 - lon1);
        var a = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2))
            + (Math.Cos(double.DegreesToRadians(lat1)) * Math.Cos(double.DegreesToRadians(lat2)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1.0, Math.Sqrt(a)));
    }
}
