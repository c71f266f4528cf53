using System.Diagnostics;
using System.Globalization;

namespace FraudStream.Training.Progress;

/// <summary>
/// The phase a long command is in and how fast it goes (rows and rows/s), for a person watching: on a terminal one
/// line rewritten in place a few times a second; otherwise (a log, a pipe) a plain line now and then and one at the
/// end of each phase. Never per row. Counting (<see cref="Add"/>) is thread-safe and cheap; a timer draws.
/// </summary>
public sealed class ProgressDisplay : IDisposable
{
    private readonly TextWriter _writer;
    private readonly bool _inPlace;
    private readonly Timer? _timer;
    private readonly Lock _gate = new();
    private readonly Stopwatch _total = Stopwatch.StartNew();
    private readonly Stopwatch _phaseClock = new();
    private string? _phase;
    private long _rows;
    private int _drawnLength;

    /// <param name="writer">Where the display goes (the CLI: standard error).</param>
    /// <param name="inPlace">True on a terminal: one line rewritten with a carriage return.</param>
    /// <param name="interval">How often the timer draws; null: only when <see cref="Draw"/> is called (tests).</param>
    public ProgressDisplay(TextWriter writer, bool inPlace, TimeSpan? interval)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _inPlace = inPlace;
        if (interval is { } every)
        {
            _timer = new Timer(_ => Draw(), null, every, every);
        }
    }

    /// <summary>Draws nothing.</summary>
    public static ProgressDisplay None => new(TextWriter.Null, inPlace: false, interval: null);

    /// <summary>For the CLI: standard error, in place when it is a terminal (drawn 4 times a second), else a line every 10 s.</summary>
    public static ProgressDisplay ForStandardError() =>
        Console.IsErrorRedirected
            ? new ProgressDisplay(Console.Error, inPlace: false, TimeSpan.FromSeconds(10))
            : new ProgressDisplay(Console.Error, inPlace: true, TimeSpan.FromMilliseconds(250));

    public long Rows => Interlocked.Read(ref _rows);

    /// <summary>Ends the current phase (its last line stays) and starts counting <paramref name="phase"/> from zero.</summary>
    public void Begin(string phase)
    {
        lock (_gate)
        {
            EndLocked();
            _phase = phase;
            Interlocked.Exchange(ref _rows, 0);
            _phaseClock.Restart();
        }
    }

    public void Add(long rows = 1) => Interlocked.Add(ref _rows, rows);

    /// <summary>Wraps <paramref name="items"/> so each one read counts as a row of the current phase.</summary>
    public IEnumerable<T> Counting<T>(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return Count(items);
    }

    /// <summary>Draws the current phase now (the timer calls this).</summary>
    public void Draw()
    {
        lock (_gate)
        {
            if (_phase is null)
            {
                return;
            }

            var line = Line();
            if (_inPlace)
            {
                // Pad over what the previous, longer line left on screen.
                _writer.Write("\r" + line.PadRight(_drawnLength));
                _drawnLength = line.Length;
            }
            else
            {
                _writer.WriteLine(line);
            }

            _writer.Flush();
        }
    }

    /// <summary>Ends the current phase with its final line.</summary>
    public void End()
    {
        lock (_gate)
        {
            EndLocked();
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        End();
    }

    private IEnumerable<T> Count<T>(IEnumerable<T> items)
    {
        foreach (var item in items)
        {
            Interlocked.Increment(ref _rows);
            yield return item;
        }
    }

    private void EndLocked()
    {
        if (_phase is null)
        {
            return;
        }

        _phaseClock.Stop();
        var line = Line();
        _writer.WriteLine(_inPlace ? "\r" + line.PadRight(_drawnLength) : line);
        _writer.Flush();
        _drawnLength = 0;
        _phase = null;
    }

    private string Line()
    {
        var seconds = _phaseClock.Elapsed.TotalSeconds;
        var rows = Rows;
        var rate = seconds > 0 ? rows / seconds : 0;
        return rows > 0
            ? string.Create(CultureInfo.InvariantCulture, $"[{_total.Elapsed.TotalSeconds,6:F1}s] {_phase}: {rows:N0} rows, {rate:N0} rows/s, {seconds:F1} s")
            : string.Create(CultureInfo.InvariantCulture, $"[{_total.Elapsed.TotalSeconds,6:F1}s] {_phase}: {seconds:F1} s");
    }
}
