using FraudStream.Core.Contracts;
using FraudStream.Core.Telemetry;
using FraudStream.Pipeline.Processing;

namespace FraudStream.Pipeline.Latency;

/// <summary>
/// Reason counts, the latest declines and dead letters per reason, for the reporter's snapshot. The store writer
/// hands over each outcome once it is durable, on its own thread (off the per-transaction path); the reporter reads
/// <see cref="Latest"/>, a copy refreshed at most every half second, so the two threads share no lock.
/// </summary>
internal sealed class OutcomeStatistics
{
    private const int RecentDeclinesKept = 50;
    private const long RefreshMilliseconds = 500;

    private readonly Dictionary<string, long> _reasonCounts = new(StringComparer.Ordinal);
    private readonly Queue<DeclinedTransaction> _recentDeclines = new();
    private readonly Dictionary<string, long> _deadLetterReasons = new(StringComparer.Ordinal);
    private volatile OutcomeSummary _latest = OutcomeSummary.Empty;
    private long _refreshedAt;

    public OutcomeSummary Latest => _latest;

    /// <summary>Store writer thread: one durable outcome, before its slot is marked done (and reused).</summary>
    public void Add(InFlight stored)
    {
        if (stored.Outcome != Outcome.Decided)
        {
            var code = stored.DeadLetter.Reason;
            _deadLetterReasons[code] = _deadLetterReasons.GetValueOrDefault(code) + 1;
            return;
        }

        foreach (var reason in stored.Reasons)
        {
            _reasonCounts[reason] = _reasonCounts.GetValueOrDefault(reason) + 1;
        }

        if (stored.Decision == DecisionKind.Decline)
        {
            KeepDecline(stored);
        }
    }

    /// <summary>Store writer thread, after each stored batch: refreshes <see cref="Latest"/> when it is due (or when forced).</summary>
    public void Refresh(bool force = false)
    {
        var now = Environment.TickCount64;
        if (!force && now - _refreshedAt < RefreshMilliseconds)
        {
            return;
        }

        _refreshedAt = now;
        _latest = new OutcomeSummary(
            new Dictionary<string, long>(_reasonCounts, StringComparer.Ordinal),
            [.. _recentDeclines],
            new Dictionary<string, long>(_deadLetterReasons, StringComparer.Ordinal));
    }

    private void KeepDecline(InFlight stored)
    {
        // A copy: the slot is reused once it is marked done.
        var record = stored.Record;
        _recentDeclines.Enqueue(new DeclinedTransaction
        {
            Id = record.Id,
            Card = record.Card,
            Amount = record.Amount,
            Currency = record.Currency,
            Score = record.Score,
            Reasons = [.. stored.Reasons],
            DecidedAt = DateTime.SpecifyKind(record.DecidedAt, DateTimeKind.Utc),
        });
        if (_recentDeclines.Count > RecentDeclinesKept)
        {
            _recentDeclines.Dequeue();
        }
    }
}
