namespace FraudStream.Pipeline.Processing;

/// <summary>
/// Counts the partitions whose features are still being brought up to their committed offset after a start (restore
/// + replay). Labels wait for it: a label applied before its transaction is folded in would find nothing to mark.
/// Once it has reached zero it stays done.
/// </summary>
internal sealed class ReplayProgress
{
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private int _outstanding;
    private bool _opened;

    public Task CaughtUp => _caughtUp.Task;

    public int Outstanding
    {
        get
        {
            lock (_gate)
            {
                return _outstanding;
            }
        }
    }

    public void Add()
    {
        lock (_gate)
        {
            _outstanding++;
        }
    }

    public void Done()
    {
        lock (_gate)
        {
            _outstanding--;
            CheckLocked();
        }
    }

    /// <summary>Every partition known at start has been counted: from now on, zero outstanding means caught up.</summary>
    public void Open()
    {
        lock (_gate)
        {
            _opened = true;
            CheckLocked();
        }
    }

    private void CheckLocked()
    {
        if (_opened && _outstanding <= 0)
        {
            _caughtUp.TrySetResult();
        }
    }
}
