using System.Runtime.CompilerServices;

namespace FraudStream.Features.Common;

/// <summary>
/// A mutual-exclusion flag for critical sections of a few dozen instructions, held inline in the
/// state it guards (a field, used in place; never copied). Entering is one compare-exchange; leaving
/// is a plain release store, where <see cref="Lock"/> takes a second atomic instruction to leave and
/// is a separate object (one more cache line per guarded node). Waiters spin, then yield and sleep
/// (<see cref="SpinWait"/>), so a holder that lost its core still gets to finish. Not re-entrant.
/// </summary>
internal struct SpinGate
{
    private int _held;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enter()
    {
        if (Interlocked.CompareExchange(ref _held, 1, 0) != 0)
        {
            EnterContended();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Exit() => Volatile.Write(ref _held, 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EnterContended()
    {
        var spinner = default(SpinWait);
        do
        {
            spinner.SpinOnce();
        }
        while (Volatile.Read(ref _held) != 0 || Interlocked.CompareExchange(ref _held, 1, 0) != 0);
    }
}
