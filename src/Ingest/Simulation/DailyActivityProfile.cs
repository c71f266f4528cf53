namespace FraudStream.Ingest.Simulation;

/// <summary>
/// How card spending spreads over the local hours of a day: quiet at night, peaks at lunch and in
/// the early evening. Shared by the simulator and the BankSim replay, which has no time of day.
/// </summary>
public static class DailyActivityProfile
{
    private static readonly double[] Weights =
    [
        0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.25, 0.55, 0.85, 1.00, 1.05, 1.15,
        1.35, 1.25, 1.05, 1.00, 1.05, 1.20, 1.35, 1.30, 1.05, 0.80, 0.55, 0.30,
    ];

    private static readonly double[] Cumulative = BuildCumulative();

    /// <summary>The highest hourly weight (for thinning a Poisson process).</summary>
    public static double Peak { get; } = 1.35;

    /// <summary>The mean hourly weight (a day's activity divided by 24).</summary>
    public static double Mean { get; } = Cumulative[^1] / 24.0;

    /// <summary>Relative activity of a local hour (0..23), 1.0 at a typical daytime hour.</summary>
    public static double WeightOf(int localHour) => Weights[((localHour % 24) + 24) % 24];

    /// <summary>
    /// Maps a uniform value in [0, 1) to a time of day (from local midnight) distributed like the
    /// profile: the inverse of its cumulative distribution, linear within each hour.
    /// </summary>
    public static TimeSpan TimeOfDay(double uniform)
    {
        var target = Math.Clamp(uniform, 0.0, 0.999_999_999) * Cumulative[^1];
        var hour = 0;
        while (hour < 23 && Cumulative[hour] <= target)
        {
            hour++;
        }

        var before = hour == 0 ? 0.0 : Cumulative[hour - 1];
        var withinHour = (target - before) / Weights[hour];
        return TimeSpan.FromHours(hour + Math.Clamp(withinHour, 0.0, 0.999_999));
    }

    private static double[] BuildCumulative()
    {
        var cumulative = new double[Weights.Length];
        var sum = 0.0;
        for (var i = 0; i < Weights.Length; i++)
        {
            sum += Weights[i];
            cumulative[i] = sum;
        }

        return cumulative;
    }
}
