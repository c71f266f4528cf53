namespace FraudStream.Features.Common;

public static class Geo
{
    private const double EarthRadiusKm = 6371.0088;
    private const double DegreesToRadians = Math.PI / 180.0;

    /// <summary>Great-circle distance in km (haversine).</summary>
    public static double DistanceKm(double lat1, double lon1, double lat2, double lon2)
    {
        var dLat = (lat2 - lat1) * DegreesToRadians;
        var dLon = (lon2 - lon1) * DegreesToRadians;
        var sinLat = Math.Sin(dLat / 2);
        var sinLon = Math.Sin(dLon / 2);
        var a = (sinLat * sinLat) + (Math.Cos(lat1 * DegreesToRadians) * Math.Cos(lat2 * DegreesToRadians) * sinLon * sinLon);
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1.0, Math.Sqrt(a)));
    }
}
