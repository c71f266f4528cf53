using System.Diagnostics;
using System.Runtime.ExceptionServices;
using FraudStream.Core.Stages;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// The aligned barrier of a checkpoint (as Flink's): sent down every worker's queue behind what was dispatched, it
/// parks each worker once everything before it is folded into the features; the checkpoint is taken while all are
/// parked, then <see cref="Release"/> lets them go on. The parked workers copy the state with the thread that took the
/// checkpoint, and with pool threads where cores are left (<see cref="CopyInParallel"/>): the pause is the copy divided
/// among them, not the whole copy on one thread.
/// </summary>
internal sealed class CheckpointBarrier(int participants, int cores)
{
    public CheckpointBarrier(int participants)
        : this(participants, Environment.ProcessorCount)
    {
    }

    private readonly object _gate = new();
    private int _arrived;
    private bool _released;
    private IStateCapture? _capture;
    private int _parts; // the capture's part count, fixed when it is published: the snapshot object is reused by the next capture
    private int _nextPart;
    private int _partsDone;
    private int _copiers;
    private Exception? _failure;

    /// <summary>Threads that copied at least one part of the last <see cref="CopyInParallel"/>.</summary>
    public int Copiers => Volatile.Read(ref _copiers);

    /// <summary>On a worker's thread: announce arrival, help copy the capture if one comes, and wait for the release.</summary>
    public void ArriveAndWait()
    {
        IStateCapture? capture;
        lock (_gate)
        {
            _arrived++;
            Monitor.PulseAll(_gate);
            while (!_released && _capture is null)
            {
                Monitor.Wait(_gate);
            }

            capture = _released ? null : _capture;
        }

        if (capture is not null)
        {
            CopyParts(capture);
        }

        lock (_gate)
        {
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

    /// <summary>
    /// Once all have arrived, on the thread taking the checkpoint: every part of <paramref name="capture"/> copied by this
    /// thread and the parked workers together; returns when all are copied (a part's exception is thrown here).
    /// </summary>
    public void CopyInParallel(IStateCapture capture)
    {
        lock (_gate)
        {
            _parts = capture.Parts;
            _capture = capture;
            Monitor.PulseAll(_gate);
        }

        // Cores the workers do not use help too (the GPU host has 16 for 2 workers); one that comes late finds nothing left.
        var helpers = Math.Min(capture.Parts, cores - participants - 1);
        for (var i = 0; i < helpers; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Barrier.CopyParts(state.Capture), (Barrier: this, Capture: capture), preferLocal: false);
        }

        CopyParts(capture);
        lock (_gate)
        {
            while (_partsDone < _parts)
            {
                Monitor.Wait(_gate);
            }
        }

        if (_failure is not null)
        {
            ExceptionDispatchInfo.Throw(_failure);
        }
    }

    /// <summary>
    /// Takes parts until none is left. A pool thread that starts late, even after the next capture began on the same
    /// reused snapshot, finds every part of this barrier taken and copies nothing.
    /// </summary>
    private void CopyParts(IStateCapture capture)
    {
        var parts = Volatile.Read(ref _parts);
        var copied = false;
        int part;
        while ((part = Interlocked.Increment(ref _nextPart) - 1) < parts)
        {
            copied = true;
            try
            {
                capture.CopyPart(part);
            }
#pragma warning disable CA1031 // Rethrown on the checkpoint's thread (CopyInParallel); a worker must not die of it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.CompareExchange(ref _failure, ex, null);
            }

            if (Interlocked.Increment(ref _partsDone) == parts)
            {
                lock (_gate)
                {
                    Monitor.PulseAll(_gate);
                }
            }
        }

        if (copied)
        {
            Interlocked.Increment(ref _copiers);
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
