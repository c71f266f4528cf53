using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// Dead letters found on <c>transactions.dlq</c> past the committed offset when their partition was taken over (the
/// previous owner produced them and then stopped before it committed): on redelivery, the message at that position is
/// stored as the topic has it, whatever it would make of it now (an event-time check depends on the clock), and not
/// dead-lettered a second time. Shared by every worker; each entry is taken once.
/// </summary>
internal sealed class ProducedDeadLetters
{
    private readonly ConcurrentDictionary<long, ProducedDeadLetter> _byPosition = new();
    private int _pending;

    public void Add(ProducedDeadLetter deadLetter)
    {
        if (_byPosition.TryAdd(DuplicateWindow.Position(deadLetter.SourcePartition, deadLetter.SourceOffset), deadLetter))
        {
            Interlocked.Increment(ref _pending);
        }
    }

    /// <summary>The dead letter produced for the message at <paramref name="partition"/>/<paramref name="offset"/>, if the topic had one.</summary>
    public bool TryTake(int partition, long offset, [NotNullWhen(true)] out ProducedDeadLetter? deadLetter)
    {
        // One volatile read per message while none is pending (the usual case); then a lookup that takes no lock, and
        // the remove (which does) only for a message that has one.
        deadLetter = null;
        var position = DuplicateWindow.Position(partition, offset);
        if (Volatile.Read(ref _pending) == 0 || !_byPosition.TryGetValue(position, out _) || !_byPosition.TryRemove(position, out deadLetter))
        {
            return false;
        }

        Interlocked.Decrement(ref _pending);
        return true;
    }
}
