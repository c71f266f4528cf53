using System.Diagnostics;
using System.Threading.Channels;
using FraudStream.Pipeline.Latency;
using FraudStream.Storage;
using FraudStream.Storage.Records;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// Persists decided and dead-lettered transactions in batches, off the hot path, and only then marks
/// their slots done (which lets the consumer commit past them). A failing store is retried, never
/// skipped: slots stay in flight, the in-flight limit is reached and consumption pauses.
/// </summary>
internal sealed partial class StoreWriter
{
    private const int RecentDeclinesKept = 50;
    private readonly Channel<InFlight> _queue = Channel.CreateUnbounded<InFlight>(new UnboundedChannelOptions { SingleReader = true });
    private readonly FraudStore _store;
    private readonly int _batchSize;
    private readonly ILogger _logger;
    private readonly Dictionary<string, long> _reasonCounts = new(StringComparer.Ordinal);
    private readonly Queue<DecisionRecord> _recentDeclines = new();
    private readonly Dictionary<string, long> _deadLetterReasons = new(StringComparer.Ordinal);
    private Task? _loop;
    private volatile StoreWriterSnapshot _snapshot = StoreWriterSnapshot.Empty;
    private long _lastSnapshotAt;

    public StoreWriter(FraudStore store, int batchSize, ILogger logger)
    {
        _store = store;
        _batchSize = batchSize;
        _logger = logger;
    }

    public StageRecorders Recorders { get; } = new("store");

    public PipelineCounters Counters { get; } = new();

    /// <summary>Reason counts and recent declines, refreshed about once a second (dashboard).</summary>
    public StoreWriterSnapshot Snapshot => _snapshot;

    public void Start(CancellationToken stopping) => _loop = Task.Run(() => RunAsync(stopping), CancellationToken.None);

    public void Enqueue(InFlight slot) => _queue.Writer.TryWrite(slot);

    /// <summary>Stops accepting work and waits until everything queued is stored.</summary>
    public async Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop;
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var batch = new List<InFlight>(_batchSize);
        var decisions = new List<DecisionRecord>(_batchSize);
        var deadLetters = new List<DeadLetterRecord>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            decisions.Clear();
            deadLetters.Clear();
            while (batch.Count < _batchSize && reader.TryRead(out var slot))
            {
                batch.Add(slot);
                if (slot.Outcome == Outcome.Decided)
                {
                    decisions.Add(slot.Record);
                }
                else
                {
                    deadLetters.Add(slot.DeadLetter);
                }
            }

            await PersistWithRetryAsync(decisions, deadLetters, stopping);
            var now = Stopwatch.GetTimestamp();
            foreach (var slot in batch)
            {
                Recorders.RecordSince(Stage.Persist, slot.EmitStartedAt, now);
                if (slot.Outcome == Outcome.Decided)
                {
                    Track(slot.Record, slot.Reasons);
                }
                else
                {
                    _deadLetterReasons[slot.DeadLetter.Reason] = _deadLetterReasons.GetValueOrDefault(slot.DeadLetter.Reason) + 1;
                }
            }

            // Only now is each outcome durable: let the consumer commit past these offsets.
            foreach (var slot in batch)
            {
                slot.MarkDone();
            }

            PublishSnapshotIfDue();
        }

        PublishSnapshotIfDue(force: true);
    }

    private async Task PersistWithRetryAsync(List<DecisionRecord> decisions, List<DeadLetterRecord> deadLetters, CancellationToken stopping)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                if (decisions.Count > 0)
                {
                    var inserted = await _store.InsertDecisionsAsync(decisions, CancellationToken.None);
                    Counters.AddPersisted(inserted);
                    Counters.AddStoreDuplicates(decisions.Count - inserted);
                }

                if (deadLetters.Count > 0)
                {
                    await _store.InsertDeadLettersAsync(deadLetters, CancellationToken.None);
                }

                return;
            }
#pragma warning disable CA1031 // Any store failure is retried: the slots must not be lost.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogStoreFailed(_logger, ex, decisions.Count + deadLetters.Count, delay.TotalMilliseconds);
                // Keep retrying even while stopping: a drain must persist what was produced.
                await Task.Delay(delay, CancellationToken.None);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5_000));
                _ = stopping;
            }
        }
    }

    private void Track(DecisionRecord record, List<string> reasons)
    {
        // The slot still holds its reasons list (it is not reused before MarkDone): no need to split the joined string.
        foreach (var reason in reasons)
        {
            _reasonCounts[reason] = _reasonCounts.GetValueOrDefault(reason) + 1;
        }

        if (record.Decision == "decline")
        {
            // Copy: the record belongs to a slot that will be reused.
            _recentDeclines.Enqueue(new DecisionRecord
            {
                Id = record.Id, Card = record.Card, Amount = record.Amount, Currency = record.Currency, Score = record.Score,
                Reasons = record.Reasons, DecidedAt = record.DecidedAt, Merchant = record.Merchant, EventTs = record.EventTs,
            });
            if (_recentDeclines.Count > RecentDeclinesKept)
            {
                _recentDeclines.Dequeue();
            }
        }
    }

    private void PublishSnapshotIfDue(bool force = false)
    {
        var now = Environment.TickCount64;
        if (!force && now - _lastSnapshotAt < 500)
        {
            return;
        }

        _lastSnapshotAt = now;
        _snapshot = new StoreWriterSnapshot(
            new Dictionary<string, long>(_reasonCounts, StringComparer.Ordinal),
            [.. _recentDeclines],
            new Dictionary<string, long>(_deadLetterReasons, StringComparer.Ordinal));
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Storing {Count} outcomes failed; retrying in {DelayMs} ms")]
    private static partial void LogStoreFailed(ILogger logger, Exception ex, int count, double delayMs);
}

public sealed record StoreWriterSnapshot(
    IReadOnlyDictionary<string, long> ReasonCounts,
    IReadOnlyList<DecisionRecord> RecentDeclines,
    IReadOnlyDictionary<string, long> DeadLetterReasons)
{
    public static readonly StoreWriterSnapshot Empty = new(new Dictionary<string, long>(), [], new Dictionary<string, long>());
}
