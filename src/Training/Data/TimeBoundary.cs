using System.Globalization;

namespace FraudStream.Training.Data;

/// <summary>
/// A point in history given on the command line: a BankSim step (a day index, counted from the day of
/// the first transaction) or an RFC 3339 time.
/// </summary>
public readonly record struct TimeBoundary(int? Step, DateTime? Time)
{
    public static bool TryParse(string? text, out TimeBoundary boundary)
    {
        boundary = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var step))
        {
            boundary = new TimeBoundary(step, null);
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            boundary = new TimeBoundary(null, time.UtcDateTime);
            return true;
        }

        return false;
    }

    public static TimeBoundary? ParseOrNull(string? text, string what)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return TryParse(text, out var boundary)
            ? boundary
            : throw new ArgumentException($"{what}: '{text}' is neither a step number nor an RFC 3339 time");
    }

    /// <summary>The instant: a step counts whole days from <paramref name="stepOrigin"/>, else from midnight (UTC) of the first transaction's day.</summary>
    public DateTime Resolve(DateTime firstTransaction, DateTime? stepOrigin = null) =>
        Time ?? (stepOrigin ?? firstTransaction.Date).AddDays(Step ?? 0);

    public override string ToString() => Step is { } s ? $"step {s}" : Time?.ToString("O", CultureInfo.InvariantCulture) ?? "";
}
