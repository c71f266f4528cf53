using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using FraudStream.Core.Contracts;

namespace FraudStream.Pipeline.Processing;

/// <summary>What a transaction id is, seen from one worker.</summary>
internal enum Sighting : byte
{
    /// <summary>Not seen before: decide it (or, features only, fold it in).</summary>
    New,

    /// <summary>
    /// Decided before a restart at this very partition and offset: the same message delivered again. Its features
    /// are folded in (the first time they were), it is not decided again.
    /// </summary>
    Redelivered,

    /// <summary>Seen at another position: a re-send. Neither folded in nor decided, as the first time.</summary>
    Resent,

    /// <summary>
    /// Seen recently with other content, or stored from another partition (another card): the id was reused.
    /// Dead-lettered, neither folded in nor decided.
    /// </summary>
    Conflicting,
}

/// <summary>
/// Ids seen recently by one worker, in a set with FIFO eviction, plus a read-only seed of the ids the store already
/// holds with the partition and offset each was read from (loaded at start, so that after a restart a redelivery is
/// told apart from a re-send). Single-threaded: each worker owns one, and a partition always lands on one worker.
/// </summary>
internal sealed class DuplicateWindow
{
    private readonly Dictionary<string, long> _recent; // id → fingerprint of the content it was first seen with
    private readonly string[] _ring;
    private readonly IReadOnlyDictionary<string, long> _seed; // read by every worker; added to when a partition is taken over
    private readonly ConcurrentDictionary<string, DecisionMessage>? _producedNotStored;
    private int _next;
    private int _count;

    /// <param name="producedNotStored">
    /// Decisions found on the topic but not in the store when their partition was taken over (also in
    /// <paramref name="seed"/>); shared by every worker, each entry taken once.
    /// </param>
    public DuplicateWindow(int capacity, IReadOnlyDictionary<string, long> seed, ConcurrentDictionary<string, DecisionMessage>? producedNotStored = null)
    {
        // Grown as ids arrive: a worker that sees few ids holds little.
        _recent = new Dictionary<string, long>(StringComparer.Ordinal);
        _ring = new string[capacity];
        _seed = seed;
        _producedNotStored = producedNotStored;
    }

    /// <summary>
    /// For a <see cref="Sighting.Redelivered"/> transaction: the decision its previous owner produced but did not store,
    /// if the topic had one (it is stored from there).
    /// </summary>
    public bool TryTakeProducedDecision(string id, [NotNullWhen(true)] out DecisionMessage? decision)
    {
        // TryGetValue first: it takes no lock (IsEmpty takes all of them when the map is empty, the usual case).
        decision = null;
        return _producedNotStored is { } produced && produced.TryGetValue(id, out _) && produced.TryRemove(id, out decision);
    }

    /// <summary>Packs a stored decision's source position for the seed.</summary>
    public static long Position(int partition, long offset) => ((long)partition << 44) | (offset & ((1L << 44) - 1));

    /// <summary>
    /// Classifies <paramref name="id"/> read at <paramref name="partition"/>/<paramref name="offset"/> with content
    /// <paramref name="fingerprint"/> and remembers it.
    /// </summary>
    public Sighting See(string id, int partition, long offset, long fingerprint)
    {
        if (!_recent.TryAdd(id, fingerprint))
        {
            return _recent[id] == fingerprint ? Sighting.Resent : Sighting.Conflicting;
        }

        if (_count == _ring.Length)
        {
            _recent.Remove(_ring[_next]);
        }
        else
        {
            _count++;
        }

        _ring[_next] = id;
        _next = (_next + 1) % _ring.Length;
        if (_seed.TryGetValue(id, out var position))
        {
            // Stored from another partition: another card (partitions are keyed by card), so the id was reused.
            return position == Position(partition, offset) ? Sighting.Redelivered
                : (position >> 44) == partition ? Sighting.Resent
                : Sighting.Conflicting;
        }

        return Sighting.New;
    }
}
