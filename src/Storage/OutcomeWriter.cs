using FraudStream.Core.Contracts;
using FraudStream.Storage.Records;

namespace FraudStream.Storage;

/// <summary>
/// The one write path for decisions, the review items they open, dead letters and stream labels: each batch in one
/// transaction, either all of it stored or none. One implementation per database — <see cref="SqliteOutcomeWriter"/>
/// (prepared statements bound by position) and <see cref="PostgresOutcomeWriter"/> (one round trip per batch) —
/// both running the statements of <see cref="StoreSql"/>. For the storage threads, which may block: not thread-safe,
/// one writer per thread; dispose it (and open a new one) after a failure.
/// </summary>
public abstract class OutcomeWriter : IDisposable
{
    private bool _disposed;

    private protected OutcomeWriter()
    {
    }

    internal static async Task<OutcomeWriter> OpenAsync(FraudStore store, CancellationToken cancellationToken) =>
        store.Provider == StoreProvider.Sqlite
            ? await SqliteOutcomeWriter.CreateAsync(store, cancellationToken)
            : new PostgresOutcomeWriter(store);

    /// <summary>
    /// Stores the batch in one transaction. Ids (and dead-letter source positions) already stored are skipped,
    /// not overwritten; the result counts the decisions actually inserted, so <c>decisions.Count - result</c>
    /// duplicates (or refused rows) reached the store. With <paramref name="refused"/>, a row whose data the store
    /// refuses (<see cref="StoreRefusal"/>) is handed to it and the rest of the batch is stored; without, the
    /// refusal is thrown and nothing of the batch is stored.
    /// </summary>
    public int Write(IReadOnlyList<DecisionRecord> decisions, IReadOnlyList<DeadLetterRecord> deadLetters, IRefusedRows? refused = null)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(deadLetters);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return decisions.Count + deadLetters.Count == 0 ? 0 : WriteOutcomes(decisions, deadLetters, refused);
    }

    /// <summary>
    /// Upserts labels (the newest report wins) and stores the unreadable ones as dead letters, in one transaction.
    /// Returns the labels stored or changed: a label older than the stored one changes nothing.
    /// </summary>
    /// <remarks>
    /// With <paramref name="refused"/>, a batch the store refuses (<see cref="StoreRefusal"/>) is written again one row
    /// per transaction: a refused label (its index in <paramref name="labels"/>) is replaced by the dead letter <paramref name="refused"/> returns, a refused dead
    /// letter is reported through <paramref name="deadLetterRefused"/> and not stored. Without, the refusal is thrown.
    /// </remarks>
    public int WriteLabels(IReadOnlyList<LabelRecord> labels, IReadOnlyList<DeadLetterRecord> deadLetters,
        Func<int, string, DeadLetterRecord>? refused = null, Action<DeadLetterRecord, string>? deadLetterRefused = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(deadLetters);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (labels.Count + deadLetters.Count == 0)
        {
            return 0;
        }

        try
        {
            return WriteLabelOutcomes(labels, deadLetters);
        }
        catch (Exception ex) when (refused is not null && StoreRefusal.Is(ex, out _))
        {
            return WriteLabelsOneByOne(labels, deadLetters, refused, deadLetterRefused);
        }
    }

    // Rare (a row the contract admits and the store does not): one transaction per row finds the refused ones.
    private int WriteLabelsOneByOne(IReadOnlyList<LabelRecord> labels, IReadOnlyList<DeadLetterRecord> deadLetters,
        Func<int, string, DeadLetterRecord> refused, Action<DeadLetterRecord, string>? deadLetterRefused)
    {
        var written = 0;
        var letters = new List<DeadLetterRecord>(deadLetters);
        for (var i = 0; i < labels.Count; i++)
        {
            try
            {
                written += WriteLabelOutcomes([labels[i]], []);
            }
            catch (Exception ex) when (StoreRefusal.Is(ex, out var refusal))
            {
                letters.Add(refused(i, refusal));
            }
        }

        foreach (var letter in letters)
        {
            try
            {
                WriteLabelOutcomes([], [letter]);
            }
            catch (Exception ex) when (StoreRefusal.Is(ex, out var refusal))
            {
                deadLetterRefused?.Invoke(letter, refusal);
            }
        }

        return written;
    }

    private protected abstract int WriteOutcomes(IReadOnlyList<DecisionRecord> decisions, IReadOnlyList<DeadLetterRecord> deadLetters, IRefusedRows? refused);

    private protected abstract int WriteLabelOutcomes(IReadOnlyList<LabelRecord> labels, IReadOnlyList<DeadLetterRecord> deadLetters);

    /// <summary>Only reviews open a review item (and <see cref="StoreSql.OpenReview"/> checks the stored decision again).</summary>
    private protected static bool OpensReview(DecisionRecord decision) => DecisionKindNames.Is(decision.Decision, DecisionKind.Review);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the writer's connection and statements; called once.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
