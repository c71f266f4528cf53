using System.Globalization;
using FraudStream.Core.Contracts;

namespace FraudStream.Pipeline.Hosting;

/// <summary>
/// The event times the service accepts, relative to its own clock (<see cref="DecisionServiceOptions.MaxFutureSkewSeconds"/>,
/// <see cref="DecisionServiceOptions.MaxAgeDays"/>): a transaction's <c>ts</c>, a label's <c>reported_at</c>.
/// Checked per message without allocating; only a refusal builds its detail.
/// </summary>
internal sealed class EventTimeWindow
{
    private readonly long _maxAheadTicks;
    private readonly long _maxAgeTicks;

    public EventTimeWindow(DecisionServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _maxAheadTicks = options.MaxFutureSkewSeconds * TimeSpan.TicksPerSecond;
        _maxAgeTicks = options.MaxAgeDays == 0 ? long.MaxValue : options.MaxAgeDays * TimeSpan.TicksPerDay;
    }

    /// <summary>True when <paramref name="eventTime"/> (UTC) is within the window around <paramref name="now"/> (UTC).</summary>
    public bool Admits(DateTime eventTime, DateTime now, string field, out ParseError error)
    {
        var ahead = eventTime.Ticks - now.Ticks;
        if (ahead > _maxAheadTicks)
        {
            error = new(DeadLetterReason.TimestampOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"{field} {eventTime:O} is more than {_maxAheadTicks / TimeSpan.TicksPerSecond} s ahead of the service clock ({now:O})"));
            return false;
        }

        if (-ahead > _maxAgeTicks)
        {
            error = new(DeadLetterReason.TimestampOutOfRange, string.Create(CultureInfo.InvariantCulture,
                $"{field} {eventTime:O} is more than {_maxAgeTicks / TimeSpan.TicksPerDay} days before the service clock ({now:O})"));
            return false;
        }

        error = default;
        return true;
    }
}
