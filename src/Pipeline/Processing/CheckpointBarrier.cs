using System.Diagnostics;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// The aligned barrier of a checkpoint (as Flink's): sent down every worker's queue behind what was dispatched, it
/// parks each worker once everything before it is folded into the features; the checkpoint is taken while all are
/// parked, then <see cref="Release"/> lets them go on.
/// </summary>
internal sealed class CheckpointBarrier(int participants)
{
    private readonly object _gate = new();
    private int _arrived;
    private bool _released;

    /// <summary>On a worker's thread: announce arrival and wait for the release.</summary>
    public void ArriveAndWait()
    {
        lock (_gate)
        {
            _arrived++;
            Monitor.PulseAll(_gate);
            while (!_released)
            {
                Monitor.Wait(_gate);
            }
        }
    }

    /// <summary>True once every participant has arrived (false when <paramref name="timeout"/> passed first).</summary>
    public bool WaitAllArrived(TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            while (_arrived < participants)
            {
                var left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0)
                {
                    return false;
                }

                Monitor.Wait(_gate, TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
            }

            return true;
        }
    }

    public void Release()
    {
        lock (_gate)
        {
            _released = true;
            Monitor.PulseAll(_gate);
        }
    }
}
