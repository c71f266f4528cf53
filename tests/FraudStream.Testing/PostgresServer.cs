using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace FraudStream.Testing;

/// <summary>
/// A real, throwaway PostgreSQL cluster (Debian's package) started with initdb/pg_ctl on a free port,
/// shared by the test run; each test gets its own database. FRAUDSTREAM_TEST_POSTGRES (a connection
/// string to a server where we may create databases) overrides starting one. A test that stops the server
/// takes a cluster of its own (<see cref="StartOwn"/>), so no other test's database goes down with it.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private static readonly Lazy<PostgresServer> Shared = new(() => new PostgresServer(own: false), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly string? _dataDir;
    private readonly string? _binDir;
    private readonly string? _user;
    private readonly int _port;
    private readonly string _adminConnectionString;

    private PostgresServer(bool own)
    {
        var external = Environment.GetEnvironmentVariable("FRAUDSTREAM_TEST_POSTGRES");
        if (!own && !string.IsNullOrEmpty(external))
        {
            _adminConnectionString = external;
            return;
        }

        _binDir = FindBinDir() ?? throw new InvalidOperationException(OwnMissingReason ?? "PostgreSQL not found");
        var port = FreePort();
        _port = port;
        _dataDir = Path.Combine(Path.GetTempPath(), "fraudstream-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dataDir);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            // initdb refuses to run as root: run the cluster as the package's postgres user.
            Run("chown", $"-R postgres:postgres {_dataDir}", asUser: null);
        }

        _user = asRoot ? "postgres" : null;
        Run(Path.Combine(_binDir, "initdb"), $"-D {_dataDir} -U fraud --auth=trust -E UTF8 --no-sync", _user);
        Start();
        _adminConnectionString = $"Host=127.0.0.1;Port={port};Username=fraud;Database=postgres;Pooling=false";
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    public static PostgresServer Instance => Shared.Value;

    /// <summary>
    /// A cluster of the caller's own (dispose it), for a test that stops and starts the server: the shared one, and
    /// FRAUDSTREAM_TEST_POSTGRES, serve every other test's databases.
    /// </summary>
    public static PostgresServer StartOwn() => new(own: true);

    /// <summary>Why no cluster of one's own can be had here (the binaries are needed), or null when one can.</summary>
    public static string? OwnMissingReason =>
        FindBinDir() is not null ? null : "PostgreSQL is not installed (apt-get install postgresql): a test that stops the server needs its own cluster";

    /// <summary>
    /// Stops the server (<c>pg_ctl stop</c>). Immediate is a crash as far as clients see it: every backend is killed
    /// at once, open connections break mid-transaction, and the next start runs crash recovery on the same data
    /// directory. Only for a cluster of one's own.
    /// </summary>
    public void Stop(bool immediate = true)
    {
        var (binDir, dataDir) = Owned();
        Run(Path.Combine(binDir, "pg_ctl"), $"-D {dataDir} -w -t 60 -m {(immediate ? "immediate" : "fast")} stop", _user);
    }

    /// <summary>Starts the server on its data directory and port, and waits until it accepts connections.</summary>
    public void Start()
    {
        var (binDir, dataDir) = Owned();
        Run(Path.Combine(binDir, "pg_ctl"),
            $"-D {dataDir} -l {dataDir}/server.log -w -t 60 -o \"-p {_port} -k {dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start",
            _user);
    }

    private (string BinDir, string DataDir) Owned() =>
        _binDir is not null && _dataDir is not null
            ? (_binDir, _dataDir)
            : throw new InvalidOperationException("the server is FRAUDSTREAM_TEST_POSTGRES's, not started here: it cannot be stopped or started");

    /// <summary>Why no server can be had here, or null when one can.</summary>
    public static string? MissingReason =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("FRAUDSTREAM_TEST_POSTGRES")) || FindBinDir() is not null
            ? null
            : "PostgreSQL is not installed (apt-get install postgresql) and FRAUDSTREAM_TEST_POSTGRES is not set";

    /// <summary>Creates a fresh database and returns its connection string.</summary>
    public string CreateDatabase()
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..12];
        using (var connection = new NpgsqlConnection(_adminConnectionString))
        {
            connection.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            cmd.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name, Pooling = true }.ToString();
    }

    public void Dispose()
    {
        if (_dataDir is null || _binDir is null || !Directory.Exists(_dataDir))
        {
            return;
        }

        try
        {
            Run(Path.Combine(_binDir, "pg_ctl"), $"-D {_dataDir} -m immediate stop", Environment.UserName == "root" ? "postgres" : null);
        }
        catch (InvalidOperationException)
        {
            // Already stopped: nothing to clean up but the files.
        }

        Directory.Delete(_dataDir, recursive: true);
    }

    private static string? FindBinDir()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        foreach (var version in Directory.GetDirectories(root).OrderByDescending(d => d, StringComparer.Ordinal))
        {
            if (File.Exists(Path.Combine(version, "bin", "initdb")))
            {
                return Path.Combine(version, "bin");
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Run(string file, string args, string? asUser)
    {
        var psi = asUser is null
            ? new ProcessStartInfo(file, args)
            : new ProcessStartInfo("runuser", $"-u {asUser} -- {file} {args}");
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.WorkingDirectory = "/tmp";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {args} exited {p.ExitCode}: {stderr}{stdout.Result}");
        }
    }
}
