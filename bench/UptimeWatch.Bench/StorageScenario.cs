using System.Diagnostics;
using Microsoft.Data.Sqlite;
using static UptimeWatch.Bench.Harness;

namespace UptimeWatch.Bench;

/// <summary>
/// Scenario 5: <c>/api/status/page</c> for N public monitors with 1 week and with 1 year of synthetic history. Each
/// database is migrated and filled with monitors by UptimeWatch itself (a first start), then, stopped, gets synthetic
/// rows written directly: raw checks every 30 s for the last 7 days (what retention keeps) and hourly and daily
/// rollups plus a weekly incident (down and up events) per monitor for the whole history. Then UptimeWatch is started
/// again and the endpoint is timed with sequential requests.
/// </summary>
internal static class StorageScenario
{
    public static async Task<int> RunAsync(Args args, CancellationToken cancellationToken)
    {
        var monitors = args.Int("monitors", 100);
        var requests = args.Int("requests", 500);
        var rawSeconds = args.Int("raw-interval", 30);
        await using var h = Harness.Create("storage", args);
        var (_, targetPort) = h.StartTarget(monitors, 1800);
        await h.WaitForTargetAsync(targetPort, cancellationToken);
        var table = new Table($"Status page snapshot, {monitors} public monitors, 1 week vs 90 days vs 1 year of history");
        table.Add("Load average before", LoadAverage());
        var p95s = new List<double>();

        // The page shows 90 days, so history up to 90 days legitimately adds rows to read; beyond that it must not.
        foreach (var (label, days) in new[] { ("1 week", 7), ("90 days", 90), ("1 year", 365) })
        {
            var dataDir = $"data-{days}";
            // A long interval: the monitors exist and are public, but live checks barely touch the measurement.
            var config = h.WriteConfig($"config-{days}.json", HttpMonitors(monitors, targetPort, 3600),
                new Dictionary<string, object> { ["DataDirectory"] = dataDir });
            var (host, port) = h.StartUptimeWatch(config, $"uptimewatch-{days}-setup.log");
            await h.WaitServingAsync(host, port, TimeSpan.FromSeconds(120), cancellationToken);
            await host.StopAsync(TimeSpan.FromSeconds(60));

            var db = Path.Combine(h.Work, dataDir, "uptimewatch.db");
            var fill = Stopwatch.StartNew();
            var (raw, hourly, daily, events) = Fill(db, days, rawSeconds);
            Console.WriteLine($"[bench] {label}: {raw:N0} raw checks, {hourly:N0} hourly and {daily:N0} daily rollups, {events:N0} events written in {fill.Elapsed.TotalSeconds:F0} s");

            (host, port) = h.StartUptimeWatch(config, $"uptimewatch-{days}.log");
            await h.WaitServingAsync(host, port, TimeSpan.FromSeconds(120), cancellationToken);
            // Let the start-up rollup run finish before timing.
            await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
            var url = $"http://127.0.0.1:{port}/api/status/page";
            using var client = new HttpClient();
            for (var i = 0; i < 50; i++)
            {
                (await client.GetAsync(url, cancellationToken)).EnsureSuccessStatusCode();
            }
            var times = new List<double>(requests);
            long bytes = 0;
            for (var i = 0; i < requests; i++)
            {
                var sw = Stopwatch.StartNew();
                var body = await client.GetByteArrayAsync(url, cancellationToken);
                times.Add(sw.Elapsed.TotalMilliseconds);
                bytes = body.Length;
            }
            times.Sort();
            await host.StopAsync(TimeSpan.FromSeconds(60));
            var p95 = Percentile(times, 95);
            p95s.Add(p95);
            table.Add($"{label}: rows (raw checks / hourly / daily rollups / events)", $"{raw:N0} / {hourly:N0} / {daily:N0} / {events:N0}; database {new FileInfo(db).Length / 1048576.0:F0} MiB");
            table.Add($"{label}: GET /api/status/page p50 / p95 / p99 / max ({requests} sequential, {bytes / 1024.0:F0} KiB each)",
                $"{Percentile(times, 50):F1} / {p95:F1} / {Percentile(times, 99):F1} / {times[^1]:F1} ms", "p95 ≤ 20 ms", p95 <= 20);
        }
        table.Add("p95 1 year ÷ p95 1 week", $"{p95s[2] / p95s[0]:F2}");
        table.Add("p95 1 year ÷ p95 90 days (the page shows 90 days: the cost must stop growing here)", $"{p95s[2] / p95s[1]:F2}", "≈ 1", p95s[2] / p95s[1] < 1.25);
        table.Print();
        return 0;
    }

    private static (long Raw, long Hourly, long Daily, long Events) Fill(string path, int days, int rawSeconds)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        var ids = Column<int>(c, "SELECT Id FROM monitors WHERE ArchivedAt IS NULL");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        const long Hour = 3_600_000, Day = 24 * Hour;
        var currentHour = now - now % Hour;
        var today = now - now % Day;
        long raw = 0, hourly = 0, daily = 0, events = 0;
        using var tx = c.BeginTransaction();

        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO check_results (MonitorId, At, Outcome, ResponseMs, HttpStatus, ConnectMs, FirstByteMs, InMaintenance) VALUES ($m, $at, 1, $ms, 200, 0, $ms, 0)";
            var m = cmd.Parameters.Add("$m", SqliteType.Integer);
            var at = cmd.Parameters.Add("$at", SqliteType.Integer);
            var ms = cmd.Parameters.Add("$ms", SqliteType.Integer);
            var rawFrom = now - Math.Min(days, 7) * Day;
            // Time-ordered, all monitors interleaved, as the writer stores them.
            for (var t = rawFrom; t < now - 60_000; t += rawSeconds * 1000L)
            {
                foreach (var id in ids)
                {
                    m.Value = id;
                    at.Value = t + id;
                    ms.Value = 2 + (int)((t / 1000 + id) % 7);
                    cmd.ExecuteNonQuery();
                    raw++;
                }
            }
        }
        foreach (var (table, step, count) in new[] { ("hourly_rollups", Hour, (long)days * 24), ("daily_rollups", Day, days) })
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"INSERT OR REPLACE INTO {table} (MonitorId, Start, Checks, Failures, Degraded, Missed, Maintenance, Incidents, MinMs, MaxMs, SumMs, TimedChecks, P95Ms) " +
                              "VALUES ($m, $s, $n, $f, 0, 0, 0, $i, 2, 40, $sum, $n, 8)";
            var m = cmd.Parameters.Add("$m", SqliteType.Integer);
            var s = cmd.Parameters.Add("$s", SqliteType.Integer);
            var n = cmd.Parameters.Add("$n", SqliteType.Integer);
            var f = cmd.Parameters.Add("$f", SqliteType.Integer);
            var inc = cmd.Parameters.Add("$i", SqliteType.Integer);
            var sum = cmd.Parameters.Add("$sum", SqliteType.Integer);
            var last = step == Hour ? currentHour - Hour : today - Day;
            foreach (var id in ids)
            {
                for (var k = 0; k < count; k++)
                {
                    var start = last - k * step;
                    var checks = (int)(step / 1000 / rawSeconds);
                    var incident = (start / step + id) % (step == Hour ? 168 : 7) == 0;
                    m.Value = id;
                    s.Value = start;
                    n.Value = checks;
                    f.Value = incident ? 4 : 0;
                    inc.Value = incident ? 1 : 0;
                    sum.Value = checks * 5L;
                    cmd.ExecuteNonQuery();
                    if (step == Hour)
                    {
                        hourly++;
                    }
                    else
                    {
                        daily++;
                    }
                }
            }
        }
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO status_events (MonitorId, \"From\", \"To\", At, Reason, Kind) VALUES ($m, $from, $to, $at, $reason, 0)";
            var m = cmd.Parameters.Add("$m", SqliteType.Integer);
            var from = cmd.Parameters.Add("$from", SqliteType.Text);
            var to = cmd.Parameters.Add("$to", SqliteType.Text);
            var at = cmd.Parameters.Add("$at", SqliteType.Integer);
            var reason = cmd.Parameters.Add("$reason", SqliteType.Text);
            // One incident a week per monitor, oldest first so ids ascend with time.
            for (var week = days / 7; week >= 1; week--)
            {
                foreach (var id in ids)
                {
                    var down = now - week * 7 * Day + id * 60_000L;
                    foreach (var (f, t, a, why) in new[] { ("Up", "Down", down, "2 consecutive failures: HTTP 503 Service Unavailable, expected 200-299"), ("Down", "Up", down + 120_000, "1 consecutive success") })
                    {
                        m.Value = id;
                        from.Value = f;
                        to.Value = t;
                        at.Value = a;
                        reason.Value = why;
                        cmd.ExecuteNonQuery();
                        events++;
                    }
                }
            }
        }
        tx.Commit();
        return (raw, hourly, daily, events);
    }
}
