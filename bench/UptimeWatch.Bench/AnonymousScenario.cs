using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using static UptimeWatch.Bench.Harness;

namespace UptimeWatch.Bench;

/// <summary>
/// Scenario 6: what anonymous visitors cost. N public monitors with a day of raw checks (every 30 s), 90 days of
/// rollups and a long event log are written straight into the database (as in the storage scenario); then C clients
/// at once request the public endpoints round-robin for D seconds — the page, <c>/api/status</c>, the snapshot, both
/// badges, the first incident page and a deep one (by <c>before</c> where the build has it, by <c>page</c> where it
/// does not) — and afterwards S SSE clients connect with <c>Last-Event-ID: 0</c> and are timed until they are caught
/// up (the whole log replayed, or a reset with the newest cursor). <c>--host-dll</c> runs another build (the one
/// before a change) on the same data, so before and after are measured the same way.
/// </summary>
internal static class AnonymousScenario
{
    private sealed record Endpoint(string Name, Func<Random, string> Url);

    private sealed class Stats
    {
        public readonly List<double> Ms = [];
        public int Errors;
        public string? FirstError;
    }

    public static async Task<int> RunAsync(Args args, CancellationToken cancellationToken)
    {
        var monitors = args.Int("monitors", 100);
        var clients = args.Int("clients", 200);
        var duration = TimeSpan.FromSeconds(args.Int("duration", 30));
        var events = args.Int("events", 100_000);
        var sseClients = args.Int("sse", 20);
        var sseTimeout = TimeSpan.FromSeconds(args.Int("sse-timeout", 60));
        await using var h = Harness.Create("anonymous", args);
        var (_, targetPort) = h.StartTarget(monitors, 3600);
        await h.WaitForTargetAsync(targetPort, cancellationToken);
        // An hour's interval: the monitors exist and are public, and live checks barely touch the measurement.
        var config = h.WriteConfig("config.json", HttpMonitors(monitors, targetPort, 3600));
        var (host, port) = h.StartUptimeWatch(config, "uptimewatch-setup.log");
        await h.WaitServingAsync(host, port, TimeSpan.FromSeconds(120), cancellationToken);
        await host.StopAsync(TimeSpan.FromSeconds(60));
        var fill = Stopwatch.StartNew();
        var (raw, newest, oldestId) = Fill(h.DatabasePath, events);
        Console.WriteLine($"[bench] {raw:N0} raw checks, {events:N0} events written in {fill.Elapsed.TotalSeconds:F0} s");

        (host, port) = h.StartUptimeWatch(config);
        await h.WaitServingAsync(host, port, TimeSpan.FromSeconds(120), cancellationToken);
        var baseUrl = $"http://127.0.0.1:{port}";
        // The start-up rollup run, so the snapshot's cache is built from finished rollups.
        await Task.Delay(TimeSpan.FromSeconds(20), cancellationToken);
        var byKey = (await h.Http.GetStringAsync($"{baseUrl}/api/incidents?pageSize=1", cancellationToken)).Contains("\"nextBefore\"");
        var deepPages = Math.Min(10_000, events / 20);
        Endpoint[] endpoints =
        [
            new("GET /", _ => "/"),
            new("GET /api/status", _ => "/api/status"),
            new("GET /api/status/page", _ => "/api/status/page"),
            new("GET /badge/{slug}/status.svg", r => $"/badge/m{r.Next(monitors)}/status.svg"),
            new("GET /badge/{slug}/uptime.svg?period=30d", r => $"/badge/m{r.Next(monitors)}/uptime.svg?period=30d"),
            new("GET /api/incidents (first page)", _ => "/api/incidents"),
            byKey
                ? new("GET /api/incidents?before=<random id> (deep page)", r => $"/api/incidents?before={r.NextInt64(oldestId + 1, newest + 1)}")
                : new("GET /api/incidents?page=<random> (deep page)", r => $"/api/incidents?page={r.Next(1, deepPages + 1)}"),
        ];

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients + 10, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        // Warm-up: every endpoint once, so JIT and first cache builds are not in the numbers.
        foreach (var e in endpoints)
        {
            (await http.GetAsync(baseUrl + e.Url(new Random(1)), cancellationToken)).Dispose();
        }

        var load = LoadAverage();
        var stats = endpoints.ToDictionary(e => e, _ => new Stats());
        var cpuBefore = ProcStat.CpuSeconds(host.Pid);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            var local = endpoints.ToDictionary(e => e, _ => new Stats());
            for (var i = c; clock.Elapsed < duration; i++)
            {
                var endpoint = endpoints[i % endpoints.Length];
                var s = local[endpoint];
                var sw = Stopwatch.StartNew();
                try
                {
                    using var response = await http.GetAsync(baseUrl + endpoint.Url(random), HttpCompletionOption.ResponseContentRead, cancellationToken);
                    if (!response.IsSuccessStatusCode)
                    {
                        s.Errors++;
                        s.FirstError ??= $"HTTP {(int)response.StatusCode}";
                        continue;
                    }
                    s.Ms.Add(sw.Elapsed.TotalMilliseconds);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    s.Errors++;
                    s.FirstError ??= ex.GetType().Name + ": " + ex.Message;
                }
            }
            lock (stats)
            {
                foreach (var (e, s) in local)
                {
                    stats[e].Ms.AddRange(s.Ms);
                    stats[e].Errors += s.Errors;
                    stats[e].FirstError ??= s.FirstError;
                }
            }
        }, cancellationToken)));
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu = ProcStat.CpuSeconds(host.Pid) - cpuBefore;

        var sse = await SseCatchUpAsync(http, baseUrl, newest, sseClients, sseTimeout, cancellationToken);
        await host.StopAsync(TimeSpan.FromSeconds(60));

        var table = new Table($"Anonymous endpoints: {clients} concurrent clients for {duration.TotalSeconds:F0} s, {monitors} public monitors, {raw:N0} raw checks (24 h), {events:N0} events");
        table.Add("Build", HostDll.Contains(Path.Combine(RepositoryRoot, "src"), StringComparison.Ordinal) ? "this checkout" : HostDll);
        table.Add("Load average before (1, 5, 15 min; 2 cores shared with other engineers' builds and tests)", load);
        var all = stats.Values.Sum(s => s.Ms.Count);
        table.Add("All requests: answered / errors / req/s / UptimeWatch CPU", $"{all:N0} / {stats.Values.Sum(s => s.Errors):N0} / {all / elapsed:F0} / {cpu:F1} s of {elapsed:F0} s");
        foreach (var (e, s) in stats)
        {
            s.Ms.Sort();
            table.Add($"{e.Name}: p50 / p95 / p99 ms, errors, req/s",
                $"{Percentile(s.Ms, 50):F1} / {Percentile(s.Ms, 95):F1} / {Percentile(s.Ms, 99):F1}, {s.Errors}{(s.FirstError is null ? "" : $" ({s.FirstError})")}, {s.Ms.Count / elapsed:F0}");
        }
        table.Add($"SSE Last-Event-ID: 0, {sseClients} at once: time to caught up p50 / p95 / max ms, frames each, bytes each, failed",
            $"{Percentile(sse.Ms, 50):F0} / {Percentile(sse.Ms, 95):F0} / {(sse.Ms.Count > 0 ? sse.Ms[^1] : double.NaN):F0}, {sse.Frames:N0}, {sse.Bytes:N0}, {sse.Failed}{(sse.FirstError is null ? "" : $" ({sse.FirstError})")}");
        table.Print();
        return 0;
    }

    /// <summary>
    /// Connects <paramref name="count"/> SSE clients with <c>Last-Event-ID: 0</c> and times each until it holds the
    /// newest event: the replay reached <paramref name="newest"/>, or a reset carried it as its cursor.
    /// </summary>
    private static async Task<(List<double> Ms, long Frames, long Bytes, int Failed, string? FirstError)> SseCatchUpAsync(HttpClient http,
        string baseUrl, long newest, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            var sw = Stopwatch.StartNew();
            long frames = 0, bytes = 0;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"{baseUrl}/api/live/events");
                request.Headers.Add("Last-Event-ID", "0");
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
                response.EnsureSuccessStatusCode();
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(deadline.Token), Encoding.UTF8);
                while (await reader.ReadLineAsync(deadline.Token) is { } line)
                {
                    bytes += line.Length + 1;
                    if (line.StartsWith("id: ", StringComparison.Ordinal))
                    {
                        frames++;
                        if (long.Parse(line.AsSpan(4)) >= newest)
                        {
                            return (sw.Elapsed.TotalMilliseconds, frames, bytes, (string?)null);
                        }
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal) && line.Contains("\"cursor\":"))
                    {
                        frames++;
                        return (sw.Elapsed.TotalMilliseconds, frames, bytes, null);
                    }
                }
                return (double.NaN, frames, bytes, "the stream ended before catching up");
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                return (double.NaN, frames, bytes, ex is OperationCanceledException ? $"not caught up within {timeout.TotalSeconds:F0} s" : ex.Message);
            }
        }));
        var ms = results.Where(r => r.Item4 is null).Select(r => r.Item1).Order().ToList();
        return (ms, results.Max(r => r.Item2), results.Max(r => r.Item3), results.Count(r => r.Item4 is not null),
            results.Select(r => r.Item4).FirstOrDefault(e => e is not null));
    }

    /// <summary>A day of raw checks every 30 s (1 in 50 down), 24 hourly and 90 daily rollups per monitor, and the event log.</summary>
    private static (long Raw, long NewestEvent, long OldestEvent) Fill(string path, int events)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        var ids = Column<int>(c, "SELECT Id FROM monitors WHERE ArchivedAt IS NULL");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        const long Hour = 3_600_000, Day = 24 * Hour;
        long raw = 0;
        using var tx = c.BeginTransaction();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO check_results (MonitorId, At, Outcome, ResponseMs, HttpStatus, ConnectMs, FirstByteMs, InMaintenance) VALUES ($m, $at, $o, $ms, 200, 0, $ms, 0)";
            var m = cmd.Parameters.Add("$m", SqliteType.Integer);
            var at = cmd.Parameters.Add("$at", SqliteType.Integer);
            var o = cmd.Parameters.Add("$o", SqliteType.Integer);
            var ms = cmd.Parameters.Add("$ms", SqliteType.Integer);
            for (var t = now - Day; t < now - 60_000; t += 30_000)
            {
                foreach (var id in ids)
                {
                    (m.Value, at.Value, o.Value, ms.Value) = (id, t + id, (t / 30_000 + id) % 50 == 0 ? 2 : 1, 2 + (int)((t / 1000 + id) % 7));
                    cmd.ExecuteNonQuery();
                    raw++;
                }
            }
        }
        foreach (var (table, step, count) in new[] { ("hourly_rollups", Hour, 24L), ("daily_rollups", Day, 90L) })
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"INSERT OR REPLACE INTO {table} (MonitorId, Start, Checks, Failures, Degraded, Missed, Maintenance, Incidents, MinMs, MaxMs, SumMs, TimedChecks, P95Ms) " +
                              "VALUES ($m, $s, $n, $f, 0, 0, 0, 0, 2, 40, $sum, $n, 8)";
            var m = cmd.Parameters.Add("$m", SqliteType.Integer);
            var s = cmd.Parameters.Add("$s", SqliteType.Integer);
            var n = cmd.Parameters.Add("$n", SqliteType.Integer);
            var f = cmd.Parameters.Add("$f", SqliteType.Integer);
            var sum = cmd.Parameters.Add("$sum", SqliteType.Integer);
            var last = step == Hour ? now - now % Hour - Hour : now - now % Day - Day;
            var checks = (int)(step / 30_000);
            foreach (var id in ids)
            {
                for (var k = 0; k < count; k++)
                {
                    (m.Value, s.Value, n.Value, f.Value, sum.Value) = (id, last - k * step, checks, checks / 50, checks * 5L);
                    cmd.ExecuteNonQuery();
                }
            }
        }
        long first = 0, newest = 0;
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO status_events (MonitorId, \"From\", \"To\", At, Reason, Kind) VALUES ($m, $from, $to, $at, $reason, 0) RETURNING Id";
            var m = cmd.Parameters.Add("$m", SqliteType.Integer);
            var from = cmd.Parameters.Add("$from", SqliteType.Text);
            var to = cmd.Parameters.Add("$to", SqliteType.Text);
            var at = cmd.Parameters.Add("$at", SqliteType.Integer);
            var reason = cmd.Parameters.Add("$reason", SqliteType.Text);
            // Spread over the last 90 days, oldest first so ids ascend with time; down and up in turn.
            for (var i = 0; i < events; i++)
            {
                var down = i % 2 == 0;
                (m.Value, from.Value, to.Value, at.Value) = (ids[i / 2 % ids.Count], down ? "Up" : "Down", down ? "Down" : "Up", now - 90 * Day + 90 * Day / events * i);
                reason.Value = down ? "2 consecutive failures: HTTP 503 Service Unavailable, expected 200-299" : "1 consecutive success: HTTP 200 in 4 ms";
                newest = (long)cmd.ExecuteScalar()!;
                first = first == 0 ? newest : first;
            }
        }
        tx.Commit();
        return (raw, newest, first);
    }
}
