using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using FraudStream.Dashboard.Hosting;
using FraudStream.Dashboard.Snapshots;

namespace FraudStream.Service.Demo;

/// <summary>
/// The `serve` processes of <c>demo --instances N</c>: this same executable, one consumer group on the demo's embedded
/// broker and one store, client ids <c>fraudstream-K</c>, each with its own dashboard, whose API the demo reads for
/// the progress line and the report. None outlives the demo: they are stopped at the end, killed when the demo fails
/// or exits, and each stops by itself when its standard input (a pipe from the demo) closes, which it does however the
/// demo ends, a kill -9 included.
/// </summary>
internal sealed class DemoInstances : IDisposable
{
    private readonly List<DemoInstance> _started = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly EventHandler _onExit;

    public DemoInstances()
    {
        _onExit = (_, _) => KillAll();
        AppDomain.CurrentDomain.ProcessExit += _onExit;
    }

    /// <summary>Seconds since the first instance was started: the clock of every instance's events in the report.</summary>
    public Stopwatch Clock { get; } = new();

    public IReadOnlyList<DemoInstance> Started => _started;

    public static string ClientId(int k) => "fraudstream-" + k.ToString(CultureInfo.InvariantCulture);

    /// <summary>Dashboard ports: the demo's port and the next ones; with the dashboard off, free loopback ports (the demo reads each API).</summary>
    public static int[] Ports(int requested, int count)
    {
        var ports = new int[count];
        for (var i = 0; i < count; i++)
        {
            ports[i] = requested > 0 ? requested + i : FreePort();
        }

        return ports;
    }

    /// <summary>Starts instance <paramref name="k"/> (1-based): `serve` with <paramref name="serveArguments"/>, its output to <paramref name="logFile"/>.</summary>
    public DemoInstance Start(int k, int port, IReadOnlyList<string> serveArguments, IReadOnlyDictionary<string, string> environment, string logFile)
    {
        if (!Clock.IsRunning)
        {
            Clock.Start();
        }

        var (fileName, prefix) = SelfCommand();
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in prefix)
        {
            psi.ArgumentList.Add(argument);
        }

        psi.ArgumentList.Add("serve");
        foreach (var argument in serveArguments)
        {
            psi.ArgumentList.Add(argument);
        }

        psi.ArgumentList.Add("--dashboard-port");
        psi.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        psi.ArgumentList.Add("--stop-when-stdin-closes");
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        psi.Environment["FRAUDSTREAM_Decisions__ClientId"] = ClientId(k);
        var instance = new DemoInstance(ClientId(k), port, logFile, Clock, Process.Start(psi) ?? throw new InvalidOperationException("could not start " + fileName));
        _started.Add(instance);
        return instance;
    }

    /// <summary>Reads every started instance's latest snapshot from its dashboard API.</summary>
    public async Task PollAsync()
    {
        foreach (var instance in _started)
        {
            await instance.PollAsync(_http);
        }
    }

    /// <summary>The first instance that ended by itself, or null.</summary>
    public DemoInstance? Exited()
    {
        foreach (var instance in _started)
        {
            if (instance.HasExited && !instance.StopRequested)
            {
                return instance;
            }
        }

        return null;
    }

    /// <summary>Asks every instance to stop (closing its standard input) and waits; one still running after <paramref name="timeout"/> is killed.</summary>
    public void StopAll(TimeSpan timeout)
    {
        foreach (var instance in _started)
        {
            instance.RequestStop();
        }

        var deadline = Stopwatch.StartNew();
        foreach (var instance in _started)
        {
            instance.WaitOrKill(timeout - deadline.Elapsed);
        }
    }

    public void Dispose()
    {
        KillAll();
        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        _http.Dispose();
    }

    private void KillAll()
    {
        foreach (var instance in _started)
        {
            instance.Dispose();
        }
    }

    /// <summary>This executable: the apphost itself, or <c>dotnet fraudstream.dll</c> when run through the dotnet host.</summary>
    private static (string FileName, IReadOnlyList<string> Prefix) SelfCommand()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this executable is unknown");
        if (!Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return (process, []);
        }

        var entry = Assembly.GetEntryAssembly()?.Location;
        return (process, [string.IsNullOrEmpty(entry) ? Path.Combine(AppContext.BaseDirectory, "fraudstream.dll") : entry]);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One `serve` child: its log (written to a file, the assignments read from it) and its latest dashboard snapshot.</summary>
internal sealed class DemoInstance : IDisposable
{
    private const string DecidingLine = "Deciding partitions ";
    private const int TailLines = 40;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Stopwatch _clock;
    private readonly Lock _gate = new();
    private readonly Queue<string> _tail = new();
    private readonly List<DemoReport.Assignment> _assignments = [];
    private bool _disposed;

    public DemoInstance(string name, int port, string logFile, Stopwatch clock, Process process)
    {
        Name = name;
        Port = port;
        LogFile = logFile;
        _clock = clock;
        _process = process;
        ProcessId = process.Id;
        StartedAtS = clock.Elapsed.TotalSeconds;
        _log = new StreamWriter(logFile) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Port { get; }

    public string LogFile { get; }

    public double StartedAtS { get; }

    public bool StopRequested { get; private set; }

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public int ProcessId { get; }

    /// <summary>The instance's latest snapshot, null until its dashboard has published one.</summary>
    public InstanceView? Latest { get; private set; }

    /// <summary>Every assignment the instance logged ("Deciding partitions …"), in order.</summary>
    public IReadOnlyList<DemoReport.Assignment> Assignments
    {
        get
        {
            lock (_gate)
            {
                return [.. _assignments];
            }
        }
    }

    /// <summary>The last lines it wrote, for a failure message.</summary>
    public string Tail
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    public async Task PollAsync(HttpClient http)
    {
        if (_process.HasExited)
        {
            return;
        }

        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{Port}/api/snapshot"));
            if (response.IsSuccessStatusCode)
            {
                using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
                Latest = InstanceView.Of(json.RootElement);
            }
        }
        catch (HttpRequestException)
        {
            // Not listening yet, or stopping: the previous snapshot stands.
        }
        catch (TaskCanceledException)
        {
            // Timed out: the previous snapshot stands.
        }
    }

    /// <summary>Closes its standard input: the instance stops as on SIGTERM (drains, commits, saves a checkpoint).</summary>
    public void RequestStop()
    {
        StopRequested = true;
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone.
        }
    }

    public void WaitOrKill(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout > TimeSpan.Zero ? timeout : TimeSpan.Zero))
        {
            Kill();
        }

        _process.WaitForExit(); // drains the output readers
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        StopRequested = true;
        Kill();
        _process.WaitForExit(TimeSpan.FromSeconds(10));
        _process.Dispose();
        lock (_gate)
        {
            _log.Dispose();
        }
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            if (!_disposed)
            {
                _log.WriteLine(line);
            }

            _tail.Enqueue(line);
            if (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }

            var at = line.IndexOf(DecidingLine, StringComparison.Ordinal);
            if (at >= 0)
            {
                // A rebalance logs both the revocation and the assignment: only changes are kept.
                var partitions = ParsePartitions(line[(at + DecidingLine.Length)..]);
                if (_assignments.Count == 0 || !_assignments[^1].Partitions.SequenceEqual(partitions))
                {
                    _assignments.Add(new DemoReport.Assignment { AtS = Math.Round(_clock.Elapsed.TotalSeconds, 2), Partitions = partitions });
                }
            }
        }
    }

    /// <summary>"0,3; following the others" or "none; …".</summary>
    private static List<int> ParsePartitions(string text)
    {
        var end = text.IndexOf(';', StringComparison.Ordinal);
        var list = end >= 0 ? text[..end] : text;
        var partitions = new List<int>();
        foreach (var part in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var partition))
            {
                partitions.Add(partition);
            }
        }

        return partitions;
    }
}

/// <summary>What the demo reads from an instance's dashboard snapshot.</summary>
internal sealed record InstanceView(
    InstanceStatus Instance,
    long Decided,
    long DeadLettered,
    long Duplicates,
    double TpsIn,
    double TpsOut,
    LatencySummary EndToEndSecond,
    LatencySummary EndToEndCumulative,
    string Device,
    string ModelVersion,
    string RulesetVersion)
{
    public static InstanceView Of(JsonElement snapshot)
    {
        var totals = snapshot.GetProperty("decisions_total");
        var throughput = snapshot.GetProperty("throughput");
        return new InstanceView(
            snapshot.GetProperty("instance").Deserialize<InstanceStatus>(DashboardJson.Options) ?? new InstanceStatus(),
            totals.GetProperty("approve").GetInt64() + totals.GetProperty("review").GetInt64() + totals.GetProperty("decline").GetInt64(),
            snapshot.GetProperty("dead_letters").GetProperty("total").GetInt64(),
            snapshot.GetProperty("duplicates_suppressed").GetInt64(),
            throughput.GetProperty("tps_in").GetDouble(),
            throughput.GetProperty("tps_out").GetDouble(),
            snapshot.GetProperty("end_to_end").Deserialize<LatencySummary>(DashboardJson.Options) ?? LatencySummary.Empty,
            snapshot.GetProperty("end_to_end_cumulative").Deserialize<LatencySummary>(DashboardJson.Options) ?? LatencySummary.Empty,
            snapshot.GetProperty("scorer").GetProperty("device").GetString() ?? "",
            snapshot.GetProperty("scorer").GetProperty("model_version").GetString() ?? "",
            snapshot.GetProperty("rules").GetProperty("ruleset_version").GetString() ?? "");
    }
}
