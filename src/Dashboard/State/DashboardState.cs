using FraudStream.Core.Telemetry;
using FraudStream.Dashboard.Hosting;
using FraudStream.Dashboard.Privacy;
using FraudStream.Dashboard.Snapshots;

namespace FraudStream.Dashboard.State;

/// <summary>
/// The latest snapshot and a bounded history. One reporter thread publishes about once a second; any
/// number of request threads read. Not on the per-transaction path, so a plain lock is enough.
/// </summary>
public sealed class DashboardState
{
    /// <summary>Ten minutes at one snapshot a second.</summary>
    public const int DefaultHistoryCapacity = 600;

    /// <summary>How many of the newest snapshots keep their raw stage values for the metrics reader.</summary>
    public const int RawValuesRetention = 60;

    private readonly Lock _gate = new();
    private readonly DashboardSnapshot[] _ring;
    private int _next;
    private int _count;
    private long _sequence;
    private DashboardSnapshot? _latest;
    private TaskCompletionSource _published = NewSignal();

    public DashboardState(int historyCapacity = DefaultHistoryCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(historyCapacity, 1);
        _ring = new DashboardSnapshot[historyCapacity];
    }

    public int HistoryCapacity => _ring.Length;

    /// <summary>The newest snapshot, or null before the first publish.</summary>
    public DashboardSnapshot? Latest => Volatile.Read(ref _latest);

    /// <summary>
    /// Stores a snapshot (stamping its <see cref="DashboardSnapshot.Sequence"/>, masking anything PAN-like and
    /// turning a score that is not a number into none) and wakes the live streams. Returns the stored snapshot.
    /// </summary>
    public DashboardSnapshot Publish(DashboardSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var safe = Sanitize(snapshot);
        TaskCompletionSource published;
        lock (_gate)
        {
            safe = safe with { Sequence = ++_sequence };
            _ring[_next] = safe;
            DropRawValues((_next - RawValuesRetention + _ring.Length) % _ring.Length);
            _next = (_next + 1) % _ring.Length;
            _count = Math.Min(_count + 1, _ring.Length);
            Volatile.Write(ref _latest, safe);
            published = _published;
            _published = NewSignal();
        }

        published.TrySetResult();
        return safe;
    }

    /// <summary>Snapshots whose timestamp lies within <paramref name="window"/> of the newest, oldest first.</summary>
    public IReadOnlyList<DashboardSnapshot> GetHistory(TimeSpan window)
    {
        lock (_gate)
        {
            if (_count == 0)
            {
                return [];
            }

            var newest = _ring[(_next - 1 + _ring.Length) % _ring.Length];
            var from = newest.Timestamp - window;
            var result = new List<DashboardSnapshot>(_count);
            for (var i = 0; i < _count; i++)
            {
                var s = _ring[(_next - _count + i + _ring.Length) % _ring.Length];
                if (s.Timestamp > from)
                {
                    result.Add(s);
                }
            }

            return result;
        }
    }

    /// <summary>Snapshots published after <paramref name="sequence"/> that are still held, oldest first.</summary>
    public IReadOnlyList<DashboardSnapshot> GetSince(long sequence)
    {
        lock (_gate)
        {
            var result = new List<DashboardSnapshot>();
            for (var i = 0; i < _count; i++)
            {
                var s = _ring[(_next - _count + i + _ring.Length) % _ring.Length];
                if (s.Sequence > sequence)
                {
                    result.Add(s);
                }
            }

            return result;
        }
    }

    /// <summary>Completes once a snapshot newer than <paramref name="afterSequence"/> has been published.</summary>
    public Task WaitForNewerAsync(long afterSequence, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_gate)
        {
            if (_sequence > afterSequence)
            {
                return Task.CompletedTask;
            }

            signal = _published.Task;
        }

        return signal.WaitAsync(cancellationToken);
    }

    /// <summary>Keeps history small: raw values are only needed until the metrics have read them.</summary>
    private void DropRawValues(int index)
    {
        if (RawValuesRetention >= _ring.Length || _ring[index] is not { } old)
        {
            return;
        }

        var stages = old.Stages;
        var any = false;
        for (var i = 0; i < stages.Count && !any; i++)
        {
            any = stages[i].Values.Count > 0;
        }

        if (!any)
        {
            return;
        }

        var stripped = new StageLatency[stages.Count];
        for (var i = 0; i < stripped.Length; i++)
        {
            stripped[i] = stages[i] with { Values = [] };
        }

        _ring[index] = old with { Stages = stripped };
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static DashboardSnapshot Sanitize(DashboardSnapshot s)
    {
        var declines = new DeclinedTransaction[s.RecentDeclines.Count];
        for (var i = 0; i < declines.Length; i++)
        {
            var d = s.RecentDeclines[i];
            var reasons = new string[d.Reasons.Count];
            for (var r = 0; r < reasons.Length; r++)
            {
                reasons[r] = PanGuard.Text(d.Reasons[r]);
            }

            declines[i] = d with { Id = PanGuard.Text(d.Id), Card = PanGuard.Card(d.Card), Reasons = reasons, Score = DashboardJson.FiniteOrNull(d.Score) };
        }

        var errors = new RulesReloadError[s.Rules.ReloadErrors.Count];
        for (var i = 0; i < errors.Length; i++)
        {
            var e = s.Rules.ReloadErrors[i];
            errors[i] = e with { Message = PanGuard.Text(e.Message) };
        }

        return s with { RecentDeclines = declines, Rules = s.Rules with { ReloadErrors = errors } };
    }
}
