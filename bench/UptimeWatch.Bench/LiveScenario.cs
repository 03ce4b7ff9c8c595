using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using static UptimeWatch.Bench.Harness;

namespace UptimeWatch.Bench;

/// <summary>
/// Scenario 4: many SSE clients and long-polling clients on the live endpoints; status changes are caused by
/// making target paths fail and recover. Measures delivery latency (event <c>at</c> → receipt), RSS per idle SSE
/// connection, and that every client received every status event exactly once.
/// </summary>
internal static class LiveScenario
{
    private sealed class Client
    {
        public readonly List<long> Ids = [];
        public readonly List<double> LatencyMs = [];
        public bool Connected;
        public string? Error;
        public long Checks;
        public long CheckFrames;
    }

    public static async Task<int> RunAsync(Args args, CancellationToken cancellationToken)
    {
        var sseCount = args.Int("sse", 10_000);
        var pollCount = args.Int("polls", 1_000);
        var monitors = args.Int("monitors", 10);
        var interval = args.Int("interval", 5);
        var flips = args.Int("flips", 10);
        await using var h = Harness.Create("live", args);

        var (_, targetPort) = h.StartTarget(monitors, 900);
        await h.WaitForTargetAsync(targetPort, cancellationToken);
        var config = h.WriteConfig("config.json", HttpMonitors(monitors, targetPort, interval, new { FailureThreshold = 1, SuccessThreshold = 1 }),
            new Dictionary<string, object>
            {
                ["Live"] = new { MaxStreams = 50_000, MaxStreamsPerIp = 50_000, MaxPollTimeoutSeconds = 60 },
            });
        var (host, port) = h.StartUptimeWatch(config);
        await h.WaitServingAsync(host, port, TimeSpan.FromSeconds(120), cancellationToken);
        var baseUrl = $"http://127.0.0.1:{port}";
        await Until(async () =>
        {
            using var doc = JsonDocument.Parse(await h.Http.GetStringAsync($"{baseUrl}/api/status", cancellationToken));
            return doc.RootElement.GetProperty("monitors").EnumerateArray().All(m => m.GetProperty("status").GetString() == "up");
        }, TimeSpan.FromSeconds(interval * 3 + 30), "every monitor up", cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        var rssBefore = await MedianRssAsync(host.Pid, cancellationToken);
        var load = LoadAverage();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(20),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            MaxConnectionsPerServer = int.MaxValue,
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };

        // SSE clients connect a hundred at a time.
        var sse = Enumerable.Range(0, sseCount).Select(_ => new Client()).ToArray();
        var sseTasks = new Task[sseCount];
        using (var connecting = new SemaphoreSlim(100))
        {
            for (var i = 0; i < sseCount; i++)
            {
                await connecting.WaitAsync(cancellationToken);
                var c = sse[i];
                sseTasks[i] = Task.Run(() => StreamAsync(client, $"{baseUrl}/api/live/events", c, connecting, stop.Token), CancellationToken.None);
            }
            for (var i = 0; i < 100; i++)
            {
                await connecting.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }
        }
        var sseConnected = sse.Count(c => c.Connected);
        Console.WriteLine($"[bench] {sseConnected:N0} of {sseCount:N0} SSE clients connected");
        await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
        var rssSse = await MedianRssAsync(host.Pid, cancellationToken);

        long cursor0;
        using (var doc = JsonDocument.Parse(await h.Http.GetStringAsync($"{baseUrl}/api/status/page", cancellationToken)))
        {
            cursor0 = doc.RootElement.GetProperty("cursor").GetInt64();
        }
        var polls = Enumerable.Range(0, pollCount).Select(_ => new Client()).ToArray();
        var pollTasks = polls.Select(c => Task.Run(() => PollAsync(client, baseUrl, cursor0, c, stop.Token), CancellationToken.None)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        var rssAll = await MedianRssAsync(host.Pid, cancellationToken);

        // Each flip makes one monitor fail (then, on the next flip, recover): one status event per flip.
        var cpu0 = ProcStat.CpuSeconds(host.Pid);
        var clientCpu0 = ProcStat.CpuSeconds(Environment.ProcessId);
        var t0 = DateTimeOffset.UtcNow;
        for (var k = 0; k < flips; k++)
        {
            var monitor = k / 2 % monitors;
            await h.Http.PostAsync($"http://127.0.0.1:{targetPort}/ctl/{(k % 2 == 0 ? "fail" : "ok")}/{monitor}", null, cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(interval + 2), cancellationToken);
        }
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        var cpu1 = ProcStat.CpuSeconds(host.Pid);
        var clientCpu1 = ProcStat.CpuSeconds(Environment.ProcessId);
        var wall = (DateTimeOffset.UtcNow - t0).TotalSeconds;
        var peakKb = ProcStat.StatusKb(host.Pid, "VmHWM");

        var expected = new List<long>();
        using (var doc = JsonDocument.Parse(await h.Http.GetStringAsync($"{baseUrl}/api/events?after={cursor0}&limit=1000", cancellationToken)))
        {
            expected.AddRange(doc.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
        }
        await stop.CancelAsync();
        await Task.WhenAll(sseTasks.Concat(pollTasks)).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        await host.StopAsync(TimeSpan.FromSeconds(30));

        var table = new Table($"Live fan-out: {sseCount:N0} SSE + {pollCount:N0} long-poll clients, {monitors} monitors every {interval} s, {flips} status changes");
        table.Add("Load average before connecting", load);
        table.Add("SSE clients connected", $"{sseConnected:N0} / {sseCount:N0}" + Errors(sse), $"{sseCount:N0}", sseConnected == sseCount);
        table.Add("Status events expected (from /api/events)", $"{expected.Count}");
        Report(table, "SSE", sse, expected);
        Report(table, "long-poll", polls, expected);
        var perConn = (rssSse - rssBefore) * 1024.0 / Math.Max(1, sseConnected);
        table.Add("RSS before clients / with SSE idle / with SSE + polls (median of 5 samples) / peak",
            $"{rssBefore / 1024.0:F0} / {rssSse / 1024.0:F0} / {rssAll / 1024.0:F0} / {peakKb / 1024.0:F0} MiB");
        table.Add("RSS per idle SSE connection", $"{perConn / 1024:F1} KiB", "≤ 20 KiB", perConn / 1024 <= 20);
        table.Add("UptimeWatch CPU while delivering", $"{(cpu1 - cpu0) / wall * 100:F1} % of one core over {wall:F0} s (incl. the check frames to {sseConnected:N0} streams)");
        table.Add("Bench process (all clients) CPU meanwhile", $"{(clientCpu1 - clientCpu0) / wall * 100:F1} % of one core: the clients share the 2 cores, so their own delay is in the latency");
        table.Add("Check frames received per SSE client (live only, no id: 'checks', or 'check' before coalescing)",
            $"{sse.Average(c => c.CheckFrames):F0} on average, with {sse.Average(c => c.Checks):F0} monitor checks in them");
        table.Print();
        return 0;
    }

    private static string Errors(Client[] clients) =>
        clients.Where(c => c.Error is not null).GroupBy(c => c.Error).OrderByDescending(g => g.Count()).FirstOrDefault() is { } g
            ? $" (errors: {clients.Count(c => c.Error is not null)}, most common {g.Count()}× {g.Key})" : "";

    private static void Report(Table table, string name, Client[] clients, List<long> expected)
    {
        var exact = clients.Count(c => c.Ids.SequenceEqual(expected));
        var dup = clients.Count(c => c.Ids.Count != c.Ids.Distinct().Count());
        var missing = clients.Count(c => expected.Except(c.Ids).Any());
        table.Add($"{name}: clients that got every event exactly once, in order", $"{exact:N0} / {clients.Length:N0} (with duplicates: {dup}, missing some: {missing})" + Errors(clients),
            "all", exact == clients.Length);
        var latencies = clients.SelectMany(c => c.LatencyMs).Order().ToList();
        var p99 = Percentile(latencies, 99);
        table.Add($"{name}: delivery latency p50 / p99 / max ({latencies.Count:N0} deliveries)",
            $"{Percentile(latencies, 50):F0} / {p99:F0} / {(latencies.Count > 0 ? latencies[^1] : double.NaN):F0} ms", "p99 ≤ 200 ms", p99 <= 200);
    }

    private static async Task<long> MedianRssAsync(int pid, CancellationToken cancellationToken)
    {
        var samples = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            samples.Add(ProcStat.RssKb(pid));
            await Task.Delay(1000, cancellationToken);
        }
        return samples.Order().ElementAt(2);
    }

    private static async Task StreamAsync(HttpClient client, string url, Client c, SemaphoreSlim connecting, CancellationToken cancellationToken)
    {
        var released = false;
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                c.Error = $"HTTP {(int)response.StatusCode}";
                return;
            }
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            c.Connected = true;
            connecting.Release();
            released = true;
            await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
            {
                if (item.EventType == "status")
                {
                    var now = DateTimeOffset.UtcNow;
                    c.Ids.Add(long.Parse(item.EventId!, System.Globalization.CultureInfo.InvariantCulture));
                    c.LatencyMs.Add((now - At(item.Data)).TotalMilliseconds);
                }
                else if (item.EventType == "checks")
                {
                    // One frame with the newest check of each public monitor checked since the last frame.
                    c.CheckFrames++;
                    c.Checks += CountChecks(item.Data);
                }
                else if (item.EventType == "check")
                {
                    // Servers before coalescing sent one frame per check.
                    c.CheckFrames++;
                    c.Checks++;
                }
            }
            c.Error ??= "stream ended by the server";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            c.Error = e.GetType().Name + ": " + e.Message;
        }
        finally
        {
            if (!released)
            {
                connecting.Release();
            }
        }
    }

    private static async Task PollAsync(HttpClient client, string baseUrl, long cursor, Client c, CancellationToken cancellationToken)
    {
        c.Connected = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync($"{baseUrl}/api/live/poll?after={cursor}&timeout=30", cancellationToken);
                var now = DateTimeOffset.UtcNow;
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                {
                    c.Error = $"HTTP {(int)response.StatusCode}";
                    await Task.Delay(1000, cancellationToken);
                    continue;
                }
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
                foreach (var e in doc.RootElement.GetProperty("events").EnumerateArray())
                {
                    c.Ids.Add(e.GetProperty("id").GetInt64());
                    c.LatencyMs.Add((now - e.GetProperty("at").GetDateTimeOffset()).TotalMilliseconds);
                }
                cursor = doc.RootElement.GetProperty("cursor").GetInt64();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException)
            {
                c.Error = e.GetType().Name + ": " + e.Message;
                await Task.Delay(1000, CancellationToken.None);
            }
        }
    }

    private static int CountChecks(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("checks").GetArrayLength();
    }

    private static DateTimeOffset At(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("at").GetDateTimeOffset();
    }

}
