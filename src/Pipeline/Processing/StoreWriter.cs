using FraudStream.Core.Latency;
using System.Diagnostics;
using System.Collections.Concurrent;
using FraudStream.Pipeline.Latency;
using FraudStream.Core.Contracts;
using FraudStream.Core.Identifiers;
using FraudStream.Storage;
using FraudStream.Storage.Records;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// Persists decided and dead-lettered transactions in batches, off the hot path, on its own thread with
/// one long-lived <see cref="OutcomeWriter"/> (one connection, prepared statements, one transaction per
/// batch), and only then marks their slots done (which lets the consumer commit past them). A batch is
/// whatever has queued up meanwhile, at most <c>batchSize</c>. A failing store is retried, never skipped:
/// slots stay in flight, the in-flight limit is reached and consumption pauses. A row whose data the store refuses
/// (it would fail every retry) is isolated instead: the rest of its batch is stored, and a refused decision is stored
/// as a dead letter (<c>store_refused</c>, with the store's reason).
/// </summary>
internal sealed partial class StoreWriter
{
    private readonly BlockingCollection<InFlight> _queue = new(new ConcurrentQueue<InFlight>());
    private readonly FraudStore _store;
    private readonly int _batchSize;
    private readonly OutcomeStatistics _statistics;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _thread;

    /// <param name="statistics">Told of every outcome once it is durable (reason counts, recent declines for the reporter).</param>
    public StoreWriter(FraudStore store, int batchSize, OutcomeStatistics statistics, ILogger logger)
    {
        _store = store;
        _batchSize = batchSize;
        _statistics = statistics;
        _logger = logger;
    }

    public StageRecorders Recorders { get; } = new("store");

    public PipelineCounters Counters { get; } = new();

    // UTC ticks of the first failure of the write now being retried; 0 while writes succeed.
    private long _failingSinceTicks;

    /// <summary>When the store started refusing the write now being retried (UTC); null while writes succeed.</summary>
    public DateTime? FailingSince => Volatile.Read(ref _failingSinceTicks) is var ticks and not 0 ? new DateTime(ticks, DateTimeKind.Utc) : null;

    public void Start(CancellationToken stopping)
    {
        _ = stopping; // a drain must persist what was produced: the writer stops only when completed
        _thread = new Thread(Run) { IsBackground = true, Name = "fs-store" };
        _thread.Start();
    }

    /// <summary>
    /// Queues an acknowledged outcome for storing. After <see cref="CompleteAsync"/> (a drain that gave up waiting
    /// for the broker) a late acknowledgement is refused and stays unstored, so its offset is never committed and the
    /// transaction is read again on the next start. Called on librdkafka's delivery thread, which must not throw.
    /// </summary>
    public void Enqueue(InFlight slot)
    {
        try
        {
            _queue.Add(slot);
        }
        catch (InvalidOperationException)
        {
            LogLateOutcome(_logger);
        }
    }

    /// <summary>Stops accepting work and waits until everything queued is stored.</summary>
    public async Task CompleteAsync()
    {
        _queue.CompleteAdding();
        if (_thread is not null)
        {
            await _stopped.Task.ConfigureAwait(false);
        }
    }

    private void Run()
    {
        var batch = new List<InFlight>(_batchSize);
        var decisions = new List<DecisionRecord>(_batchSize);
        var deadLetters = new List<DeadLetterRecord>();
        var refused = new RefusedOutcomes(_batchSize);
        OutcomeWriter? writer = null;
        try
        {
            while (_queue.TryTake(out var first, Timeout.Infinite))
            {
                batch.Clear();
                decisions.Clear();
                deadLetters.Clear();
                refused.Clear();
                var slot = first;
                while (true)
                {
                    batch.Add(slot);
                    if (slot.Outcome == Outcome.Decided)
                    {
                        decisions.Add(slot.Record);
                        refused.Decided.Add(slot);
                    }
                    else
                    {
                        deadLetters.Add(slot.DeadLetter);
                    }

                    if (batch.Count >= _batchSize || !_queue.TryTake(out slot!))
                    {
                        break;
                    }
                }

                PersistWithRetry(ref writer, decisions, deadLetters, refused);
                var now = Stopwatch.GetTimestamp();
                foreach (var done in batch)
                {
                    Recorders.RecordSince(Stage.Persist, done.EmitStartedAt, now);
                    _statistics.Add(done);
                }

                // Only now is each outcome durable: let the consumer commit past these offsets.
                foreach (var done in batch)
                {
                    done.MarkDone();
                }

                _statistics.Refresh();
            }

            _statistics.Refresh(force: true);
            _stopped.TrySetResult();
        }
#pragma warning disable CA1031 // Handed to whoever awaits the drain.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // Persistence has stopped: the in-flight limit will fill and consumption stall, so say so loudly now.
            LogStoreThreadFailed(_logger, ex);
            _stopped.TrySetException(ex);
        }
        finally
        {
            writer?.Dispose();
        }
    }

    private void PersistWithRetry(ref OutcomeWriter? writer, List<DecisionRecord> decisions, List<DeadLetterRecord> deadLetters,
        RefusedOutcomes refused)
    {
        // Retried even while stopping: a drain must persist what was produced.
        var count = decisions.Count + deadLetters.Count;
        var inserted = OutcomeWriterRetry.Write(_store, ref writer, (decisions, deadLetters, refused),
            static (w, batch) =>
            {
                // A try that failed half-way (a lost connection) told of refusals already: count each one once.
                batch.refused.ClearRefusals();
                return w.Write(batch.decisions, batch.deadLetters, batch.refused);
            },
            (ex, delayMs) =>
            {
                Interlocked.CompareExchange(ref _failingSinceTicks, DateTime.UtcNow.Ticks, 0);
                LogStoreFailed(_logger, ex, count, delayMs);
            });
        Volatile.Write(ref _failingSinceTicks, 0);
        Counters.AddPersisted(inserted);
        Counters.AddStoreDuplicates(decisions.Count - inserted - refused.Decisions);
        if (refused.Decisions + refused.DeadLetters > 0)
        {
            // One line per batch, not per row: the first refusal says why.
            // Decided (and produced) by its worker, dead-lettered here: it is counted as both.
            Counters.AddDeadLettered(refused.Decisions);
            LogRowsRefused(_logger, refused.Decisions, refused.DeadLetters, refused.First);
        }
    }

    /// <summary>
    /// The store writer's answer to refused rows: the refused decision's slot becomes a dead letter (its outcome
    /// changes, so it is counted and reported as one), a refused dead letter is given up (logged by the caller).
    /// </summary>
    private sealed class RefusedOutcomes(int capacity) : IRefusedRows
    {
        /// <summary>The slots of the batch's decisions, in the order the writer sees them.</summary>
        public List<InFlight> Decided { get; } = new(capacity);

        public int Decisions { get; private set; }

        public int DeadLetters { get; private set; }

        public string First { get; private set; } = "";

        public void Clear()
        {
            Decided.Clear();
            ClearRefusals();
        }

        public void ClearRefusals()
        {
            Decisions = 0;
            DeadLetters = 0;
            First = "";
        }

        public DeadLetterRecord DecisionRefused(int index, string refusal)
        {
            Remember(refusal);
            Decisions++;
            var slot = Decided[index];
            slot.Outcome = Outcome.DeadLettered;
            slot.Error = new(DeadLetterReason.StoreRefused, Pans.Mask(StorableText.Sanitize("the store refused the decision: " + refusal)));
            var d = slot.DeadLetter;
            d.SourcePartition = slot.Partition;
            d.SourceOffset = slot.Offset;
            d.Reason = slot.Error.Reason.ToCode();
            d.Detail = slot.Error.Detail;
            Pans.Mask(slot.Payload.AsSpan()); // as every dead letter's: no card number in clear
            d.Payload = slot.Payload;
            d.ReceivedAt = DateTime.UtcNow;
            return d;
        }

        public void DeadLetterRefused(DeadLetterRecord deadLetter, string refusal)
        {
            Remember(refusal);
            DeadLetters++;
        }

        private void Remember(string refusal)
        {
            if (First.Length == 0)
            {
                First = refusal;
            }
        }
    }

    [LoggerMessage(EventId = 1204, Level = LogLevel.Error,
        Message = "The store refused {Decisions} decisions (stored as store_refused dead letters instead) and {DeadLetters} dead letters (not stored); the rest of the batch is stored. First refusal: {Refusal}")]
    private static partial void LogRowsRefused(ILogger logger, int decisions, int deadLetters, string refusal);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "An acknowledgement arrived after the store writer completed; its transaction is read again on the next start")]
    private static partial void LogLateOutcome(ILogger logger);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Critical, Message = "The store writer thread failed; no outcome is persisted until the service restarts")]
    private static partial void LogStoreThreadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Storing {Count} outcomes failed; retrying in {DelayMs} ms")]
    private static partial void LogStoreFailed(ILogger logger, Exception ex, int count, double delayMs);
}
