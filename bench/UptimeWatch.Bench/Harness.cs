using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace UptimeWatch.Bench;

/// <summary>What every scenario needs: a work folder, the target, UptimeWatch with a generated config, a table.</summary>
internal sealed class Harness : IAsyncDisposable
{
    private readonly bool _keep;

    private Harness(string work, bool keep, Dictionary<string, string> hostEnvironment)
    {
        Work = work;
        _keep = keep;
        _hostEnvironment = hostEnvironment;
    }

    private readonly Dictionary<string, string> _hostEnvironment;

    public string Work { get; }
    public HttpClient Http { get; } = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(30) };

    public static Harness Create(string scenario, Args args)
    {
        var root = Path.Combine(Path.GetTempPath(), "uptimewatch-bench");
        Directory.CreateDirectory(root);
        var work = Path.Combine(root, $"{scenario}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(work);
        Console.WriteLine($"[bench] work folder {work}");
        if (args.Str("host-dll", "") is { Length: > 0 } other)
        {
            HostDllOverride = Path.GetFullPath(other);
            Console.WriteLine($"[bench] host {HostDll}");
        }
        // --uw-env NAME=VALUE,NAME=VALUE: runtime settings for the UptimeWatch process only (A/B runs of a runtime knob).
        var env = args.Str("uw-env", "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
        if (env.Count > 0)
        {
            Console.WriteLine($"[bench] UptimeWatch environment: {string.Join(", ", env.Select(kv => $"{kv.Key}={kv.Value}"))}");
        }
        return new Harness(work, args.Flag("keep"), env);
    }

    /// <summary>The repository root: the folder holding UptimeWatch.sln above the bench binary.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "UptimeWatch.sln")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException("UptimeWatch.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Another build of the host to run instead (<c>--host-dll</c>: the build before a change, for before/after).</summary>
    public static string? HostDllOverride { get; private set; }

    /// <summary>The Release build of the host (bench/run.sh builds it first).</summary>
    public static string HostDll
    {
        get
        {
            if (HostDllOverride is { } other)
            {
                return File.Exists(other) ? other : throw new FileNotFoundException("--host-dll not found", other);
            }
            var dll = Path.Combine(RepositoryRoot, "src", "UptimeWatch", "bin", "Release", "net10.0", "UptimeWatch.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("Build it first: dotnet build -c Release src/UptimeWatch", dll);
        }
    }

    public static string BenchDll => typeof(Harness).Assembly.Location;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public (Child Process, int Port) StartTarget(int paths, int seconds)
    {
        var port = FreePort();
        var child = Child.StartDotnet("target", BenchDll, ["target", "--port", Inv(port), "--paths", Inv(paths), "--seconds", Inv(seconds)],
            Work, Path.Combine(Work, "target.log"));
        return (child, port);
    }

    public async Task WaitForTargetAsync(int port, CancellationToken cancellationToken)
    {
        await Until(async () => { await TargetStats.ReadAsync(Http, port); return true; }, TimeSpan.FromSeconds(30), "the target", cancellationToken);
    }

    /// <summary>Writes the config (monitors against the target plus extra UptimeWatch settings) and returns its path.</summary>
    public string WriteConfig(string name, IEnumerable<object> monitors, Dictionary<string, object>? extra = null)
    {
        var section = new Dictionary<string, object> { ["DataDirectory"] = "data", ["Monitors"] = monitors.ToList() };
        foreach (var (k, v) in extra ?? [])
        {
            section[k] = v;
        }
        var path = Path.Combine(Work, name);
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, object> { ["UptimeWatch"] = section }));
        return path;
    }

    public static IEnumerable<object> HttpMonitors(int count, int targetPort, int interval, object? extra = null) =>
        Enumerable.Range(0, count).Select(i => (object)new Dictionary<string, object>
        {
            ["Name"] = $"m{i}",
            ["Url"] = $"http://127.0.0.1:{targetPort}/m/{i}",
            ["IntervalSeconds"] = interval,
            ["TimeoutSeconds"] = Math.Min(10, interval),
        }.Concat(extra is null ? [] : JsonSerializer.SerializeToElement(extra).EnumerateObject()
            .Select(p => KeyValuePair.Create(p.Name, (object)p.Value))).ToDictionary());

    public (Child Process, int Port) StartUptimeWatch(string config, string logName = "uptimewatch.log")
    {
        var port = FreePort();
        var child = Child.StartDotnet("uptimewatch", HostDll, ["--config", config, "--urls", $"http://127.0.0.1:{port}"], Work,
            Path.Combine(Work, logName), _hostEnvironment);
        Console.WriteLine($"[bench] UptimeWatch pid {child.Pid} on port {port}");
        return (child, port);
    }

    /// <summary>Waits until UptimeWatch answers <c>/healthz</c> with 200 (database and scheduler working); returns the moment it did.</summary>
    public async Task<DateTimeOffset> WaitServingAsync(Child host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var quick = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Until(async () =>
        {
            if (host.HasExited)
            {
                throw new InvalidOperationException($"UptimeWatch exited with {host.ExitCode}; see {Work}");
            }
            using var response = await quick.GetAsync($"http://127.0.0.1:{port}/healthz", cancellationToken);
            return response.IsSuccessStatusCode;
        }, timeout, "UptimeWatch to serve", cancellationToken, TimeSpan.FromMilliseconds(50));
        return DateTimeOffset.UtcNow;
    }

    /// <summary>
    /// Waits until one of these logs says the first rollup ran ("Rolled up …": on a cluster one node runs it), and returns
    /// how long that took from now. The rollup is periodic work per monitor-hour, not per check: a window it falls into
    /// on one run and not on another measures the rollup, so the window starts after it on every scenario that compares.
    /// </summary>
    public static async Task<TimeSpan> WaitForFirstRollupAsync(IReadOnlyList<string> logFiles, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        await Until(() => Task.FromResult(logFiles.Any(f => File.Exists(f) && ReadShared(f).Contains("Rolled up", StringComparison.Ordinal))),
            timeout, "the first rollup to finish", cancellationToken, TimeSpan.FromMilliseconds(500));
        return sw.Elapsed;

        static string ReadShared(string path)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd();
        }
    }

    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancellationToken, TimeSpan? poll = null)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
            {
            }
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {what}");
            }
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    public string DatabasePath => Path.Combine(Work, "data", "uptimewatch.db");

    public SqliteConnection OpenDatabase(bool readOnly = true)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath, Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWrite, Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>The first column of every row <paramref name="sql"/> returns.</summary>
    public static List<T> Column<T>(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var values = new List<T>();
        while (r.Read())
        {
            values.Add(r.GetFieldValue<T>(0));
        }
        return values;
    }

    public static string Inv(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);

    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Trim();

    public async ValueTask DisposeAsync()
    {
        Child.KillAll();
        Http.Dispose();
        await Task.Delay(200);
        if (!_keep)
        {
            try
            {
                Directory.Delete(Work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>The result table, printed as Markdown so it can go straight into docs/performance.md.</summary>
internal sealed class Table(string title)
{
    private readonly List<(string Metric, string Value, string Target, string Verdict)> _rows = [];

    public void Add(string metric, string value, string target = "", bool? met = null) =>
        _rows.Add((metric, value, target, met switch { true => "met", false => "MISSED", null => "" }));

    public void Print()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"\n### {title}\n");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Finished {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; the load average (1, 5, 15 min) when measuring started is in the table.\n");
        sb.AppendLine("| Metric | Value | Target | |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var (m, v, t, ok) in _rows)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {m} | {v} | {t} | {ok} |");
        }
        Console.WriteLine(sb.ToString());
    }
}
