using System.Globalization;
using Npgsql;
using static UptimeWatch.Bench.Harness;

namespace UptimeWatch.Bench;

/// <summary>
/// N monitors at an interval on a cluster of UptimeWatch nodes sharing one PostgreSQL database (docs/scale-out.md,
/// "Scheduling in a cluster"): slots due and done, lateness, CPU per check counting every node and the PostgreSQL server
/// (the postmaster and its backends), the share per node; with --kill, the takeover time after kill -9 of one node.
/// The database must exist and be empty (--pg "Host=127.0.0.1;Port=5432;Username=postgres;Database=uw_bench").
/// </summary>
internal static class ClusterScenario
{
    /// <summary>The <c>--pg</c> connection string, or null after saying that <paramref name="scenario"/> needs one.</summary>
    public static string? Database(Args args, string scenario)
    {
        if (args.Str("pg", "") is { Length: > 0 } pg)
        {
            return pg;
        }
        Console.Error.WriteLine($"{scenario} needs --pg <connection string of an empty database>");
        return null;
    }

    public static async Task<int> RunAsync(Args args, CancellationToken cancellationToken)
    {
        if (Database(args, "cluster") is not { } pg)
        {
            return 2;
        }
        var nodes = args.Int("nodes", 2);
        var monitors = args.Int("monitors", 10_000);
        var interval = args.Int("interval", 30);
        var warmup = args.Int("warmup", interval + 15);
        var duration = args.Int("duration", 120);
        var kill = args.Str("kill", "no") == "yes";
        await using var h = Harness.Create("cluster", args);

        // Room for the first rollup too (waited for below), which takes longer on PostgreSQL.
        var (_, targetPort) = h.StartTarget(monitors, warmup + duration + 240 + 600);
        await h.WaitForTargetAsync(targetPort, cancellationToken);
        var config = h.WriteConfig("config.json", HttpMonitors(monitors, targetPort, interval));
        var started = await StartNodesAsync(h, config, pg, nodes, cancellationToken);
        var postmaster = await PostmasterAsync(pg, cancellationToken);
        var rollup = await WaitForFirstRollupAsync([.. Enumerable.Range(1, nodes).Select(i => Path.Combine(h.Work, $"node-{i}.log"))],
            TimeSpan.FromSeconds(600), cancellationToken);
        Console.WriteLine($"[bench] first rollup done {rollup.TotalSeconds:F1} s after the last node served; the warm-up starts now");

        await Task.Delay(TimeSpan.FromSeconds(warmup), cancellationToken);
        var load = LoadAverage();
        var t0 = DateTimeOffset.UtcNow;
        var nodeCpu0 = started.Select(n => ProcStat.CpuSeconds(n.Process.Pid)).ToArray();
        var pgCpu0 = PostgresCpu(postmaster);
        await Task.Delay(TimeSpan.FromSeconds(duration), cancellationToken);
        var t1 = DateTimeOffset.UtcNow;
        var nodeCpu = started.Select((n, i) => ProcStat.CpuSeconds(n.Process.Pid) - nodeCpu0[i]).ToArray();
        var pgCpu = PostgresCpu(postmaster) - pgCpu0;

        // The window's last slots may still be in the writers' queues: counted before any kill, which would lose them
        // (a killed node's unstored slots are stored as missed by the node that takes over: the takeover's cost, below).
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);

        // Due slots: each monitor's grid (phase + k × interval) in [t0, t1); done = a stored, not missed, check of that slot.
        var intervalMs = interval * 1000L;
        var ids = await ColumnAsync<int>(pg, "SELECT \"Id\" FROM monitors WHERE \"ArchivedAt\" IS NULL", cancellationToken);
        long due = 0;
        foreach (var id in ids)
        {
            var phase = SlotAnalysis.Phase(id, intervalMs);
            var first = t0.ToUnixTimeMilliseconds() + SlotAnalysis.Mod(phase - t0.ToUnixTimeMilliseconds(), intervalMs);
            due += first < t1.ToUnixTimeMilliseconds() ? (t1.ToUnixTimeMilliseconds() - 1 - first) / intervalMs + 1 : 0;
        }
        var window = $"\"Slot\" >= {t0.ToUnixTimeMilliseconds()} AND \"Slot\" < {t1.ToUnixTimeMilliseconds()}";
        var done = await CountAsync(pg, $"SELECT count(*) FROM check_results WHERE {window} AND \"Outcome\" <> {MissedOutcome}", cancellationToken);
        var missed = await CountAsync(pg, $"SELECT count(*) FROM check_results WHERE {window} AND \"Outcome\" = {MissedOutcome}", cancellationToken);
        var lateness = (await ColumnAsync<long>(pg, $"SELECT \"At\" - \"Slot\" FROM check_results WHERE {window} AND \"Outcome\" <> {MissedOutcome}", cancellationToken))
            .Select(l => (double)l).Order().ToList();
        var missedWhy = await ColumnAsync<string>(pg, $"SELECT coalesce(\"Error\", '?') || ': ' || count(*) FROM check_results WHERE {window} AND \"Outcome\" = {MissedOutcome} GROUP BY coalesce(\"Error\", '?') ORDER BY 1", cancellationToken);
        var shares = await ColumnAsync<string>(pg, $"SELECT \"Node\" || ': ' || count(*) FROM check_results WHERE {window} GROUP BY \"Node\" ORDER BY 1", cancellationToken);

        string? takeover = null;
        if (kill && nodes > 1)
        {
            var killedAt = DateTimeOffset.UtcNow;
            System.Diagnostics.Process.GetProcessById(started[^1].Process.Pid).Kill();
            var checkedAgain = $"\"Slot\" > {killedAt.ToUnixTimeMilliseconds()} AND \"Outcome\" <> {MissedOutcome} AND \"Node\" <> 'node-{nodes}'";
            // Every monitor checked again (not missed) by a live node for a slot after the kill.
            await Until(async () => await CountAsync(pg, $"SELECT count(DISTINCT \"MonitorId\") FROM check_results WHERE {checkedAgain}", cancellationToken) >= monitors,
                TimeSpan.FromSeconds(120), "every monitor checked by a live node", cancellationToken, TimeSpan.FromMilliseconds(200));
            // The slot of the last monitor to be checked again: how long its monitors went unchecked.
            var lastBack = await CountAsync(pg, $"SELECT max(first) FROM (SELECT min(\"Slot\") AS first FROM check_results WHERE {checkedAgain} GROUP BY \"MonitorId\") AS f", cancellationToken);
            // The killed node's slots it had checked but not stored, and those of its windows until the takeover.
            var lost = await CountAsync(pg, $"SELECT count(*) FROM check_results WHERE \"Slot\" >= {t1.ToUnixTimeMilliseconds()} AND \"Outcome\" = {MissedOutcome} AND \"Error\" LIKE '%stopped%'", cancellationToken);
            takeover = $"{(DateTimeOffset.FromUnixTimeMilliseconds(lastBack) - killedAt).TotalSeconds:F1} s (kill to the slot of the last monitor checked again by a live node); {lost:N0} slots stored as missed, \"node stopped\"";
        }
        var wall = (t1 - t0).TotalSeconds;
        var total = nodeCpu.Sum() + pgCpu;
        var table = new Table($"Cluster: {monitors:N0} HTTP monitors every {interval} s on {nodes} nodes + PostgreSQL");
        table.Add("Window", $"{wall:F0} s after {warmup} s warm-up (load average at start: {load})");
        table.Add("Slots due in window", $"{due:N0}");
        table.Add("Checks done in their slot", $"{done:N0} ({100.0 * done / Math.Max(1, due):F2} %)", "100 %", done == due);
        table.Add("Missed slots (stored as missed)", $"{missed:N0}", "0", missed == 0);
        if (missedWhy.Count > 0)
        {
            table.Add("Why missed (stored reasons)", string.Join("; ", missedWhy));
        }
        table.Add("Schedule lateness p50 / p99 / max",
            lateness.Count == 0 ? "-" : $"{Percentile(lateness, 50):F0} / {Percentile(lateness, 99):F0} / {lateness[^1]:F0} ms", "p99 ≤ 100 ms",
            lateness.Count > 0 && Percentile(lateness, 99) <= 100);
        table.Add("Share per node (slots in window)", string.Join(", ", shares));
        table.Add("CPU in window: nodes / PostgreSQL", $"{string.Join(" + ", nodeCpu.Select(c => c.ToString("F1", CultureInfo.InvariantCulture)))} s / {pgCpu:F1} s");
        table.Add("CPU per check, nodes + PostgreSQL", $"{total * 1000 / Math.Max(1, done):F3} ms",
            "≤ 2 × the single-node SQLite figure (bench/run.sh probe, same machine)");
        if (takeover is not null)
        {
            table.Add("Takeover after kill -9 of one node", takeover, "≤ 2 × check-in + one interval");
        }
        table.Print();
        return 0;
    }

    /// <summary>Starts <c>node-1</c> … <c>node-N</c> on the database, one after the other, each serving before the next starts.</summary>
    internal static async Task<List<(Child Process, int Port)>> StartNodesAsync(Harness h, string config, string pg, int nodes, CancellationToken cancellationToken)
    {
        var started = new List<(Child Process, int Port)>();
        for (var i = 0; i < nodes; i++)
        {
            var work = Path.Combine(h.Work, $"node-{i + 1}");
            Directory.CreateDirectory(work);
            var port = FreePort();
            var node = Child.StartDotnet($"node-{i + 1}", HostDll, ["--config", config, "--urls", $"http://127.0.0.1:{port}"], work,
                Path.Combine(h.Work, $"node-{i + 1}.log"), new Dictionary<string, string>
                {
                    ["UptimeWatch__Storage__Provider"] = "PostgreSQL",
                    ["UptimeWatch__Storage__ConnectionString"] = pg,
                    ["UptimeWatch__Scheduler__NodeId"] = $"node-{i + 1}",
                });
            await h.WaitServingAsync(node, port, TimeSpan.FromSeconds(180), cancellationToken);
            Console.WriteLine($"[bench] node-{i + 1} pid {node.Pid} serving on {port}");
            started.Add((node, port));
        }
        return started;
    }

    // CheckOutcome.Missed as stored (an int).
    private const int MissedOutcome = 3;

    private static async Task<int> PostmasterAsync(string cs, CancellationToken cancellationToken)
    {
        var backend = (int)await CountAsync(cs, "SELECT pg_backend_pid()", cancellationToken);
        var stat = File.ReadAllText($"/proc/{backend}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The server's CPU: the postmaster, its live backends, and the backends it has reaped (cutime + cstime).</summary>
    private static double PostgresCpu(int postmaster)
    {
        var stat = File.ReadAllText($"/proc/{postmaster}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var reaped = (long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / (double)ProcStat.ClockTicks;
        var total = ProcStat.CpuSeconds(postmaster) + reaped;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && pid != postmaster)
            {
                try
                {
                    var child = File.ReadAllText($"/proc/{pid}/stat");
                    if (int.Parse(child[(child.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture) == postmaster)
                    {
                        total += ProcStat.CpuSeconds(pid);
                    }
                }
                catch (IOException)
                {
                    // Gone meanwhile.
                }
            }
        }
        return total;
    }

    internal static async Task<long> CountAsync(string cs, string sql, CancellationToken cancellationToken) =>
        Convert.ToInt64((await ColumnAsync<object>(cs, sql, cancellationToken)).Single(), CultureInfo.InvariantCulture);

    internal static async Task<List<T>> ColumnAsync<T>(string cs, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var values = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            values.Add((T)reader.GetValue(0));
        }
        return values;
    }
}
