using System.Diagnostics;

namespace FraudStream.Service.Tests.Infrastructure;

/// <summary>
/// A real `fraudstream` process (the built executable, as an operator runs it), its output collected. <see cref="Kill"/>
/// is SIGKILL: no drain, no commit, no checkpoint at stop.
/// </summary>
internal sealed class FraudstreamProcess : IDisposable
{
    private static readonly string Executable = Path.Combine(AppContext.BaseDirectory, "fraudstream.dll");
    private readonly Process _process;
    private readonly List<string> _output = [];

    private FraudstreamProcess(Process process)
    {
        _process = process;
    }

    public string Name { get; private init; } = "";

    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_output)
            {
                return [.. _output];
            }
        }
    }

    public string OutputText => string.Join('\n', Output);

    public static FraudstreamProcess Start(string name, string args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{Executable}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start fraudstream " + args);
        var started = new FraudstreamProcess(process) { Name = name };
        process.OutputDataReceived += (_, e) => started.Add(e.Data);
        process.ErrorDataReceived += (_, e) => started.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>`serve` on an embedded broker with the shipped model and rules, no dashboard.</summary>
    public static FraudstreamProcess Serve(string name, string bootstrap, string database, IReadOnlyDictionary<string, string> environment) =>
        Start(name, $"serve --bootstrap {bootstrap} --db \"{database}\" --dashboard-port 0 " +
            $"--model \"{FraudStream.Testing.RepositoryPaths.Of("data", "model")}\" --rules \"{FraudStream.Testing.RepositoryPaths.Of("data", "rules", "default.rules")}\"",
            environment);

    public bool WaitForOutput(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (OutputText.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            if (_process.HasExited)
            {
                return false;
            }

            Thread.Sleep(100);
        }

        return false;
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        _process.WaitForExit(); // drains the output readers
        return true;
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>SIGKILL, at once.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    /// <summary>SIGTERM, as a process manager stops the service; waits for it to end.</summary>
    public bool Terminate(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return true;
        }

        using (var kill = Process.Start("kill", $"-TERM {_process.Id}"))
        {
            kill.WaitForExit();
        }

        return WaitForExit(timeout);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }
    }
}
