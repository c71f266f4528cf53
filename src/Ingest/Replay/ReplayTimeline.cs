using FraudStream.Core.Contracts;

namespace FraudStream.Ingest.Replay;

/// <summary>
/// Puts labels where a bank would see them. Readers attach a label to its transaction (BankSim);
/// this detaches each one and yields it as a label-only record once event time (the latest
/// transaction timestamp so far) reaches its reported time, like the simulator's stream. Label-only
/// records and bad rows pass straight through. Single-threaded, lazy, memory bounded by the labels
/// pending at one time.
/// </summary>
public static class ReplayTimeline
{
    /// <param name="records">Records in event-time order, e.g. from <see cref="IReplaySource.Read"/>.</param>
    /// <param name="flushPendingLabels">
    /// Yield the labels still pending after the last transaction, in time order; otherwise drop them.
    /// </param>
    public static IEnumerable<ReplayRecord> InEventTimeOrder(IEnumerable<ReplayRecord> records, bool flushPendingLabels = true)
    {
        ArgumentNullException.ThrowIfNull(records);
        return Merge(records, flushPendingLabels);
    }

    private static IEnumerable<ReplayRecord> Merge(IEnumerable<ReplayRecord> records, bool flushPendingLabels)
    {
        var pending = new PriorityQueue<ReplayRecord, (long Ticks, long Sequence)>();
        long sequence = 0;
        foreach (var record in records)
        {
            if (!record.IsTransaction)
            {
                yield return record;
                continue;
            }

            var now = record.Transaction.Timestamp.Ticks;
            while (pending.TryPeek(out var due, out var at) && at.Ticks <= now)
            {
                pending.Dequeue();
                yield return due;
            }

            if (record.Label is not Label label)
            {
                yield return record;
                continue;
            }

            pending.Enqueue(ReplayRecord.ForLabel(record.LineNumber, label), (label.ReportedAt.Ticks, sequence++));
            yield return ReplayRecord.ForTransaction(record.LineNumber, record.Transaction, null);
        }

        while (flushPendingLabels && pending.TryDequeue(out var due, out _))
        {
            yield return due;
        }
    }
}
