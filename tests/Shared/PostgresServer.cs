using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using UptimeWatch.Storage;

namespace UptimeWatch.Testing;

/// <summary>
/// A throwaway PostgreSQL 15 server for tests: <c>initdb</c> + <c>pg_ctl</c> (as the <c>postgres</c> user when the tests
/// run as root: PostgreSQL refuses root), data under /tmp, listening on 127.0.0.1 only, on a port it picks and then
/// proves by asking the server which port it serves. Stopped and deleted on dispose. Each test takes its own database
/// (<see cref="CreateDatabaseAsync"/>), so tests share one server without seeing each other's rows.
/// Use as an xunit class or collection fixture (public for that), or through <see cref="StartAsync"/>.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime, IAsyncDisposable
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private const string User = "uw";

    private static int s_databases;
    private string? _root;

    public int Port { get; private set; }

    /// <summary>The server's own database: for CREATE DATABASE and checks a test makes from outside UptimeWatch.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username={User};Database={database};Pooling=false";

    public static async Task<PostgresServer> StartAsync()
    {
        var server = new PostgresServer();
        await server.InitializeAsync();
        return server;
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(Path.Combine(BinDirectory, "pg_ctl")))
        {
            // No silent skip: CI must run the PostgreSQL tests, and a developer should learn why they cannot.
            var ci = Environment.GetEnvironmentVariable("CI") == "true" ? "CI=true needs the PostgreSQL tests to run: " : "";
            throw new InvalidOperationException(
                $"{ci}PostgreSQL 15 server binaries are missing ({BinDirectory}/pg_ctl): apt-get install -y postgresql (test.sh does it)");
        }
        // Under /tmp, not TMPDIR: the test output folder may not be reachable for the postgres user.
        _root = Path.Combine("/tmp", $"uw-pg-{Guid.NewGuid():N}"[..18]);
        Directory.CreateDirectory(_root);
        await ChownAsync(_root);
        await RunAsync("initdb", "-D", Data, "-A", "trust", "-U", User, "-E", "UTF8", "--no-sync");

        // A port found free can be taken before the server binds it: try again with another, a few times.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var (exitCode, output) = await TryStartAsync(port);
            if (exitCode == 0)
            {
                Port = port;
                break;
            }
            if (attempt == 5)
            {
                throw new InvalidOperationException($"PostgreSQL did not start (pg_ctl exit {exitCode}): {output}\n{ReadLog(port)}");
            }
        }

        // Proof that 127.0.0.1:Port is this server, not some other process's: it names the port it serves.
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT inet_server_port(), current_setting('data_directory')", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        if (reader.GetInt32(0) != Port || reader.GetString(1) != Data)
        {
            throw new InvalidOperationException($"127.0.0.1:{Port} answered as port {reader.GetInt32(0)} with data {reader.GetString(1)}, not this test's server");
        }
    }

    private Task<(int ExitCode, string Output)> TryStartAsync(int port) =>
        TryRunAsync("pg_ctl", "-D", Data, "-l", Path.Combine(_root!, $"log-{port}"), "-w", "-t", "60", "start",
            "-o", $"-k {_root} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200");

    /// <summary>
    /// Stops the server as an administrator's restart does (<c>pg_ctl stop -m fast</c>: open sessions are ended, the
    /// data is kept): clients see their connections closed and new ones refused until <see cref="StartAgainAsync"/>.
    /// </summary>
    public async Task StopAsync()
    {
        var (exitCode, output) = await TryRunAsync("pg_ctl", "-D", Data, "-m", "fast", "-w", "-t", "60", "stop");
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"pg_ctl stop exited with {exitCode}: {output}");
        }
    }

    /// <summary>Starts the stopped server again on the same port with the same data.</summary>
    public async Task StartAgainAsync()
    {
        var (exitCode, output) = await TryStartAsync(Port);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"PostgreSQL did not start again on port {Port} (pg_ctl exit {exitCode}): {output}\n{ReadLog(Port)}");
        }
    }

    /// <summary>
    /// Stops and deletes the server once this process has ended, however it ends (a test host killed at the end of a
    /// run never gets to dispose a process-wide server): a detached watchdog shell, its own session, waits for our PID.
    /// </summary>
    public void StopWhenThisProcessExits()
    {
        var stop = string.Join(' ', [Quote(Tool("pg_ctl").File), .. Tool("pg_ctl").Prefix.Select(Quote), "-D", Quote(Data), "-m", "immediate", "-w", "stop"]);
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1 && rm -rf {Quote(_root!)}";
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-f", "sh", "-c", script])
        {
            start.ArgumentList.Add(arg);
        }
        using var _ = Process.Start(start);
    }

    private static string Quote(string value) => $"'{value.Replace("'", "'\\''")}'";

    /// <summary>
    /// A new database (uw_1, uw_2, ...) and its connection string: empty, or with <paramref name="migrated"/> a copy of one
    /// this server migrated once with UptimeWatch's own PostgreSQL migrations (what any start after the first finds). A
    /// copy is a file copy on the server; migrating costs each start a second of CPU on a busy machine, hundreds of times
    /// in a test run. Tests of migrating itself take an empty one.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(bool migrated = false)
    {
        var name = $"uw_{Interlocked.Increment(ref s_databases)}";
        var template = migrated ? $" TEMPLATE {await _migrated.Value}" : "";
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}{template}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    private readonly Lazy<Task<string>> _migrated;

    public PostgresServer() => _migrated = new(MigrateTemplateAsync);

    private async Task<string> MigrateTemplateAsync()
    {
        const string name = "uw_migrated";
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        // No pooling (ConnectionString): nothing stays connected to it, which a copy requires.
        await using var db = new UptimeWatchDbContext(new DbContextOptionsBuilder<UptimeWatchDbContext>()
            .UseNpgsql(ConnectionString(name), o => o.MigrationsAssembly(StorageExtensions.PostgresMigrationsAssembly)).Options);
        await db.Database.MigrateAsync();
        return name;
    }

    /// <summary>One value from a query on <paramref name="connectionString"/>'s database.</summary>
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (_root is null)
        {
            return;
        }
        if (Port != 0)
        {
            // Immediate: the data is thrown away, there is nothing to flush.
            await TryRunAsync("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");
        }
        Directory.Delete(_root, recursive: true);
        _root = null;
    }

    private string Data => Path.Combine(_root!, "data");

    private string ReadLog(int port)
    {
        var log = Path.Combine(_root!, $"log-{port}");
        return File.Exists(log) ? File.ReadAllText(log) : "(no log)";
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static async Task ChownAsync(string path)
    {
        if (IsRoot)
        {
            await RunProcessAsync("chown", ["postgres", path], throwOnError: true);
        }
    }

    private static async Task RunAsync(string tool, params string[] args) =>
        await RunProcessAsync(Tool(tool).File, [.. Tool(tool).Prefix, .. args], throwOnError: true);

    private static Task<(int ExitCode, string Output)> TryRunAsync(string tool, params string[] args) =>
        RunProcessAsync(Tool(tool).File, [.. Tool(tool).Prefix, .. args], throwOnError: false);

    private static (string File, string[] Prefix) Tool(string tool) => IsRoot
        ? ("runuser", ["-u", "postgres", "--", Path.Combine(BinDirectory, tool)])
        : (Path.Combine(BinDirectory, tool), []);

    private static async Task<(int ExitCode, string Output)> RunProcessAsync(string file, string[] args, bool throwOnError)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout + await stderr;
        if (throwOnError && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {output}");
        }
        return (process.ExitCode, output);
    }
}
