using System.Globalization;
using System.Text.Json;
using FraudStream.Core.Latency;
using FraudStream.Core.Telemetry;
using FraudStream.Pipeline.Latency;
using HdrHistogram;

namespace FraudStream.Service.Demo;

/// <summary>
/// The timed stream minute by minute, from the service's own per-second snapshots (their end-to-end values are added
/// to one histogram a minute): percentiles, the share within target, and the process beside them: resident memory
/// (from /proc), collections per generation and the time the GC paused the process. With a timeline file, the same
/// for every second, one JSON object a line (for finding stalls: each second's p99 next to its GC pauses).
/// </summary>
internal sealed class DemoIntervals : IDisposable
{
    private static readonly JsonSerializerOptions LineJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly double _targetMs;
    private readonly LongHistogram _minute = LatencyHistograms.Create();
    private readonly List<DemoReport.Interval> _minutes = [];
    private readonly StreamWriter? _timeline;
    private readonly DateTime _startedAt = DateTime.UtcNow;
    private ProcessCounters _minuteStart = ProcessCounters.Now();
    private ProcessCounters _secondStart;
    private PipelineSnapshot? _last;
    private int _secondsInMinute;

    public DemoIntervals(double targetMs, string? timelinePath)
    {
        _targetMs = targetMs;
        _secondStart = _minuteStart;
        _timeline = timelinePath is { Length: > 0 } path ? new StreamWriter(path, append: false) : null;
    }

    public IReadOnlyList<DemoReport.Interval> Minutes => _minutes;

    /// <summary>Takes the latest snapshot if it is one not seen yet (the reporter publishes one a second; this is polled faster).</summary>
    public void Observe(PipelineSnapshot? snapshot)
    {
        if (snapshot is null || ReferenceEquals(snapshot, _last))
        {
            return;
        }

        _last = snapshot;
        var values = snapshot.StageSecondValues[Stage.EndToEnd.Name()];
        foreach (var (micros, count) in values)
        {
            _minute.RecordValueWithCount(Math.Clamp(micros, 1, _minute.HighestTrackableValue), count);
        }

        var now = ProcessCounters.Now();
        _timeline?.WriteLine(JsonSerializer.Serialize(Row(snapshot.At, snapshot.SecondStages[Stage.EndToEnd.Name()], _secondStart, now), LineJson));
        _secondStart = now;
        if (++_secondsInMinute == 60)
        {
            CloseMinute(snapshot.At, now);
        }
    }

    /// <summary>The last, partial minute, if it has any traffic.</summary>
    public void Finish()
    {
        if (_minute.TotalCount > 0 && _last is not null)
        {
            CloseMinute(_last.At, ProcessCounters.Now());
        }

        _timeline?.Flush();
    }

    private void CloseMinute(DateTime at, ProcessCounters now)
    {
        var stats = LatencyHistograms.Summarize(_minute, _targetMs);
        var row = Row(at, stats, _minuteStart, now);
        row.Seconds = _secondsInMinute;
        _minutes.Add(row);
        _minute.Reset();
        _minuteStart = now;
        _secondsInMinute = 0;
    }

    private DemoReport.Interval Row(DateTime at, LatencyStats e2e, ProcessCounters from, ProcessCounters to) => new()
    {
        EndS = Math.Round((at - _startedAt).TotalSeconds, 1),
        Seconds = 1,
        Count = e2e.Count,
        P50Ms = e2e.P50,
        P99Ms = e2e.P99,
        P999Ms = e2e.P999,
        MaxMs = e2e.Max,
        WithinTarget = Math.Round(e2e.WithinTarget, 5),
        ResidentMb = Math.Round(to.ResidentBytes / (1024.0 * 1024.0), 1),
        ManagedHeapMb = Math.Round(to.HeapBytes / (1024.0 * 1024.0), 1),
        Gen0Collections = to.Gen0 - from.Gen0,
        Gen1Collections = to.Gen1 - from.Gen1,
        Gen2Collections = to.Gen2 - from.Gen2,
        GcPauseMs = Math.Round((to.Paused - from.Paused).TotalMilliseconds, 2),
        AllocatedMb = Math.Round((to.Allocated - from.Allocated) / (1024.0 * 1024.0), 1),
    };

    public void Dispose() => _timeline?.Dispose();

    /// <summary>What the process and its GC have done so far.</summary>
    private readonly record struct ProcessCounters(long ResidentBytes, long HeapBytes, int Gen0, int Gen1, int Gen2, TimeSpan Paused, long Allocated)
    {
        public static ProcessCounters Now() => new(
            ReadResidentBytes(), GC.GetTotalMemory(false), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
            GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(false));

        /// <summary>VmRSS from /proc/self/status (Linux); the working set elsewhere.</summary>
        private static long ReadResidentBytes()
        {
            try
            {
                foreach (var line in File.ReadLines("/proc/self/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        var kb = line.AsSpan(6).Trim();
                        kb = kb[..kb.IndexOf(' ')];
                        return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                    }
                }
            }
            catch (IOException)
            {
                // Not Linux: fall through.
            }

            return Environment.WorkingSet;
        }
    }
}
