using FraudStream.Core.Stages;
using FraudStream.Rules.Compilation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudStream.Rules.Runtime;

/// <summary>Why the last reload was rejected; the previous ruleset kept running.</summary>
public sealed record RulesReloadFailure(DateTimeOffset At, IReadOnlyList<RuleDiagnostic> Diagnostics);

public sealed class RulesetReloadedEventArgs : EventArgs
{
    public RulesetReloadedEventArgs(bool succeeded, string currentVersion, string? previousVersion, IReadOnlyList<RuleDiagnostic> diagnostics)
    {
        Succeeded = succeeded;
        CurrentVersion = currentVersion;
        PreviousVersion = previousVersion;
        Diagnostics = diagnostics;
    }

    /// <summary>False when the new text was rejected and the old ruleset stays current.</summary>
    public bool Succeeded { get; }

    public string CurrentVersion { get; }

    public string? PreviousVersion { get; }

    public IReadOnlyList<RuleDiagnostic> Diagnostics { get; }
}

/// <summary>
/// Holds the current <see cref="Ruleset"/> and replaces it when the rules file (or a list file beside it)
/// changes. A reload compiles off the hot path and swaps one reference, so a transaction that read
/// <see cref="Current"/> once sees a whole ruleset, old or new. An invalid file is rejected: its errors go
/// to <see cref="LastReloadErrors"/>, the log and <see cref="Reloaded"/>, and the old rules keep running.
/// Changes are noticed by a <see cref="FileSystemWatcher"/> and, because watchers miss events on some
/// file systems (network, container mounts), by polling file stamps as well.
/// </summary>
public sealed class RulesetProvider : IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(150);
    private const int RecentFailureCapacity = 10;

    private readonly RulesCompileOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _reloadGate = new();
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer? _pollTimer;
    private readonly Timer? _debounceTimer;
    private Ruleset _current;
    private RulesReloadFailure? _lastReloadErrors;
    private RulesReloadFailure[] _recentFailures = [];
    private RulesWorker[] _workers = [];
    private string _stamp = "";
    private bool _disposed;

    private RulesetProvider(Ruleset initial, string? path, RulesCompileOptions options, ILogger logger, TimeSpan? pollInterval)
    {
        _current = initial;
        Path = path;
        _options = options;
        _logger = logger;
        if (path is null)
        {
            return;
        }

        _stamp = Stamp(path, initial);
        _debounceTimer = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        var directory = System.IO.Path.GetDirectoryName(path)!;
        try
        {
            _watcher = new FileSystemWatcher(directory)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += OnFileEvent;
            _watcher.Created += OnFileEvent;
            _watcher.Renamed += OnFileEvent;
            _watcher.Deleted += OnFileEvent;
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            // Polling still covers us; inotify limits are the usual cause.
            _logger.LogWarning(ex, "Cannot watch {Directory} for rule changes; relying on polling", directory);
            _watcher?.Dispose();
            _watcher = null;
        }

        var interval = pollInterval ?? TimeSpan.FromSeconds(2);
        if (interval > TimeSpan.Zero)
        {
            _pollTimer = new Timer(_ => ReloadIfChanged(), null, interval, interval);
        }
    }

    /// <summary>The ruleset to use now. Read it once per transaction.</summary>
    public Ruleset Current => Volatile.Read(ref _current);

    /// <summary>The watched rules file, or null for a provider made from text.</summary>
    public string? Path { get; }

    /// <summary>Errors of the last rejected reload; null once a later reload succeeded.</summary>
    public RulesReloadFailure? LastReloadErrors => Volatile.Read(ref _lastReloadErrors);

    /// <summary>The last rejected reloads, newest first (at most ten), for the dashboard.</summary>
    public IReadOnlyList<RulesReloadFailure> RecentReloadFailures => Volatile.Read(ref _recentFailures);

    /// <summary>A worker for one pipeline thread. Workers are remembered so <see cref="HitTotals"/> can sum them.</summary>
    public RulesWorker CreateWorker()
    {
        var worker = new RulesWorker(this);
        lock (_reloadGate)
        {
            _workers = [.. _workers, worker];
        }

        return worker;
    }

    /// <summary>
    /// Hits per rule of the current ruleset, summed over the workers already evaluating it (shadow rules
    /// included). Reads other threads' counters without locking: totals may lag by a few transactions.
    /// </summary>
    public IReadOnlyList<RuleHitTotal> HitTotals()
    {
        var ruleset = Current;
        var totals = new long[ruleset.Rules.Count];
        foreach (var worker in Volatile.Read(ref _workers))
        {
            worker.Hits.AddTo(ruleset, totals);
        }

        var result = new RuleHitTotal[totals.Length];
        for (var i = 0; i < totals.Length; i++)
        {
            var rule = ruleset.Rules[i];
            result[i] = new RuleHitTotal(rule.Name, rule.Action, rule.Shadow, totals[i]);
        }

        return result;
    }

    /// <summary>Raised after every reload attempt that found a different version or an error (on a timer thread).</summary>
    public event EventHandler<RulesetReloadedEventArgs>? Reloaded;

    /// <summary>Loads and watches <paramref name="path"/>. Throws <see cref="RulesCompileException"/> if the file is invalid now.</summary>
    public static RulesetProvider FromFile(string path, RulesCompileOptions? options = null, ILogger? logger = null, TimeSpan? pollInterval = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        var effective = (options ?? RulesCompileOptions.Default) with { BaseDirectory = options?.BaseDirectory ?? System.IO.Path.GetDirectoryName(fullPath) };
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RulesCompileException([new RuleDiagnostic(1, 1, DiagnosticCodes.Io, $"cannot read {fullPath}: {ex.Message}")]);
        }

        var ruleset = RulesCompiler.Compile(text, effective);
        return new RulesetProvider(ruleset, fullPath, effective, logger ?? NullLogger.Instance, pollInterval);
    }

    /// <summary>A provider without a file: for tests and tools; update it with <see cref="TryUpdate"/>.</summary>
    public static RulesetProvider FromText(string text, RulesCompileOptions? options = null, ILogger? logger = null)
    {
        var effective = options ?? RulesCompileOptions.Default;
        return new RulesetProvider(RulesCompiler.Compile(text, effective), null, effective, logger ?? NullLogger.Instance, null);
    }

    /// <summary>Compiles <paramref name="text"/> and swaps it in when valid; otherwise keeps the current rules.</summary>
    public bool TryUpdate(string text, out IReadOnlyList<RuleDiagnostic> diagnostics)
    {
        ArgumentNullException.ThrowIfNull(text);
        lock (_reloadGate)
        {
            return Apply(text, out diagnostics);
        }
    }

    /// <summary>Re-reads the file now, whether or not a change was noticed. Returns false if it was rejected.</summary>
    public bool Reload()
    {
        if (Path is null)
        {
            return true;
        }

        lock (_reloadGate)
        {
            if (_disposed)
            {
                return false;
            }

            string text;
            try
            {
                text = File.ReadAllText(Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                var io = new[] { new RuleDiagnostic(1, 1, DiagnosticCodes.Io, $"cannot read {Path}: {ex.Message}") };
                _stamp = Stamp(Path, Current);
                Reject(io);
                return false;
            }

            var ok = Apply(text, out _);
            _stamp = Stamp(Path, Current);
            return ok;
        }
    }

    private bool Apply(string text, out IReadOnlyList<RuleDiagnostic> diagnostics)
    {
        if (!RulesCompiler.TryCompile(text, _options, out var ruleset, out diagnostics))
        {
            Reject(diagnostics);
            return false;
        }

        var previous = Current;
        Volatile.Write(ref _lastReloadErrors, null);
        if (string.Equals(previous.Version, ruleset.Version, StringComparison.Ordinal))
        {
            return true;
        }

        Volatile.Write(ref _current, ruleset);
        _logger.LogInformation("Rules reloaded: version {Version} ({Count} rules) replaces {Previous}", ruleset.Version, ruleset.Rules.Count, previous.Version);
        Reloaded?.Invoke(this, new RulesetReloadedEventArgs(true, ruleset.Version, previous.Version, []));
        return true;
    }

    private void Reject(IReadOnlyList<RuleDiagnostic> diagnostics)
    {
        var failure = new RulesReloadFailure(DateTimeOffset.UtcNow, diagnostics);
        Volatile.Write(ref _lastReloadErrors, failure);
        Volatile.Write(ref _recentFailures, [failure, .. _recentFailures.Take(RecentFailureCapacity - 1)]);
        _logger.LogError(
            "Rules in {Path} rejected, version {Version} keeps running: {Errors}",
            Path ?? "(text)",
            Current.Version,
            string.Join("; ", diagnostics.Take(10)));
        Reloaded?.Invoke(this, new RulesetReloadedEventArgs(false, Current.Version, Current.Version, diagnostics));
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        try
        {
            _debounceTimer?.Change(Debounce, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed between the event and here.
        }
    }

    private void ReloadIfChanged()
    {
        if (Path is null || Volatile.Read(ref _disposed))
        {
            return;
        }

        bool changed;
        lock (_reloadGate)
        {
            changed = !string.Equals(Stamp(Path, Current), _stamp, StringComparison.Ordinal);
        }

        if (changed)
        {
            Reload();
        }
    }

    /// <summary>Size and write time of the rules file and its list files: cheap change detection.</summary>
    private static string Stamp(string path, Ruleset ruleset)
    {
        var parts = new List<string>(1 + ruleset.ListFiles.Count);
        foreach (var file in ruleset.ListFiles.Prepend(path))
        {
            var info = new FileInfo(file);
            parts.Add(info.Exists ? $"{info.Length}:{info.LastWriteTimeUtc.Ticks}" : "absent");
        }

        return string.Join('|', parts);
    }

    public void Dispose()
    {
        lock (_reloadGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _watcher?.Dispose();
        _pollTimer?.Dispose();
        _debounceTimer?.Dispose();
    }
}
