namespace FraudStream.Features.Common;

public static class Geo
{
    private const double EarthRadiusKm = 6371.0088;
    private const double DegreesToRadians = Math.PI / 180.0;

    /// <summary>Great-circle distance in km (haversine).</summary>
    public static double DistanceKm(double lat1, double lon1, double lat2, double lon2) =>
        DistanceKm(lat1, lon1, CosLatitude(lat1), lat2, lon2, CosLatitude(lat2));

    /// <summary>The cosine of a latitude in degrees, as <see cref="DistanceKm(double, double, double, double, double, double)"/> takes it.</summary>
    public static double CosLatitude(double latitude) => Math.Cos(latitude * DegreesToRadians);

    /// <summary>
    /// Haversine with the latitudes' cosines given (<see cref="CosLatitude"/>), for callers that
    /// measure from one point twice or already know a cosine: the same arithmetic in the same order,
    /// so the same result bit for bit.
    /// </summary>
    public static double DistanceKm(double lat1, double lon1, double cosLat1, double lat2, double lon2, double cosLat2)
    {
        var dLat = (lat2 - lat1) * DegreesToRadians;
        var dLon = (lon2 - lon1) * DegreesToRadians;
        var sinLat = Math.Sin(dLat / 2);
        var sinLon = Math.Sin(dLon / 2);
        var a = (sinLat * sinLat) + (cosLat1 * cosLat2 * sinLon * sinLon);
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1.0, Math.Sqrt(a)));
    }
}
