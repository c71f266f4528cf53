using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace FraudStream.Testing;

/// <summary>
/// A real, throwaway PostgreSQL cluster (Debian's package) started with initdb/pg_ctl on a free port,
/// shared by the test run; each test gets its own database. FRAUDSTREAM_TEST_POSTGRES (a connection
/// string to a server where we may create databases) overrides starting one.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private static readonly Lazy<PostgresServer> Shared = new(() => new PostgresServer(), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly string? _dataDir;
    private readonly string? _binDir;
    private readonly string _adminConnectionString;

    private PostgresServer()
    {
        var external = Environment.GetEnvironmentVariable("FRAUDSTREAM_TEST_POSTGRES");
        if (!string.IsNullOrEmpty(external))
        {
            _adminConnectionString = external;
            return;
        }

        _binDir = FindBinDir() ?? throw new InvalidOperationException(MissingReason ?? "PostgreSQL not found");
        var port = FreePort();
        _dataDir = Path.Combine(Path.GetTempPath(), "fraudstream-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dataDir);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            // initdb refuses to run as root: run the cluster as the package's postgres user.
            Run("chown", $"-R postgres:postgres {_dataDir}", asUser: null);
        }

        var user = asRoot ? "postgres" : null;
        Run(Path.Combine(_binDir, "initdb"), $"-D {_dataDir} -U fraud --auth=trust -E UTF8 --no-sync", user);
        Run(Path.Combine(_binDir, "pg_ctl"),
            $"-D {_dataDir} -l {_dataDir}/server.log -w -t 60 -o \"-p {port} -k {_dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start",
            user);
        _adminConnectionString = $"Host=127.0.0.1;Port={port};Username=fraud;Database=postgres;Pooling=false";
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    public static PostgresServer Instance => Shared.Value;

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
