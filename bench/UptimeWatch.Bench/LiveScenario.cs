using static UptimeWatch.Bench.Harness;

namespace UptimeWatch.Bench;

/// <summary>
/// Scenario 4: many SSE clients and long-polling clients on the live endpoints; status changes are caused by
/// making target paths fail and recover. Measures delivery latency (event <c>at</c> → receipt), RSS per idle SSE
/// connection, and that every client received every status event exactly once.
/// </summary>
internal static class LiveScenario
{
    /// <summary>
    /// Starts the target whose paths the run makes fail and recover, and writes the config: monitors that turn down and up
    /// at the first failed or passed check, live limits above the viewers a run opens. Returns the config's path and the
    /// target's port.
    /// </summary>
    public static async Task<(string Config, int TargetPort)> StartTargetAsync(Harness h, int monitors, int interval, CancellationToken cancellationToken)
    {
        var (_, targetPort) = h.StartTarget(monitors, 900);
        await h.WaitForTargetAsync(targetPort, cancellationToken);
        return (h.WriteConfig("config.json", HttpMonitors(monitors, targetPort, interval, new { FailureThreshold = 1, SuccessThreshold = 1 }),
            new Dictionary<string, object>
            {
                ["Live"] = new { MaxStreams = 50_000, MaxStreamsPerIp = 50_000, MaxPollTimeoutSeconds = 60 },
            }), targetPort);
    }

    public static async Task<int> RunAsync(Args args, CancellationToken cancellationToken)
    {
        var sseCount = args.Int("sse", 10_000);
        var pollCount = args.Int("polls", 1_000);
        var monitors = args.Int("monitors", 10);
        var interval = args.Int("interval", 5);
        var flips = args.Int("flips", 10);
        await using var h = Harness.Create("live", args);

        var (config, targetPort) = await StartTargetAsync(h, monitors, interval, cancellationToken);
        var (host, port) = h.StartUptimeWatch(config);
        await h.WaitServingAsync(host, port, TimeSpan.FromSeconds(120), cancellationToken);
        var baseUrl = $"http://127.0.0.1:{port}";
        await LiveClients.WaitAllUpAsync(h.Http, baseUrl, interval, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        var rssBefore = await MedianRssAsync(host.Pid, cancellationToken);
        var load = LoadAverage();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var client = LiveClients.CreateHttpClient();

        var (sse, sseTasks) = await LiveClients.ConnectSseAsync(client, $"{baseUrl}/api/live/events", sseCount, stop.Token, cancellationToken);
        var sseConnected = sse.Count(c => c.Connected);
        Console.WriteLine($"[bench] {sseConnected:N0} of {sseCount:N0} SSE clients connected");
        await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
        var rssSse = await MedianRssAsync(host.Pid, cancellationToken);

        var cursor0 = await LiveClients.CursorAsync(h.Http, baseUrl, cancellationToken);
        var (polls, pollTasks) = LiveClients.StartPolls(client, baseUrl, cursor0, pollCount, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        var rssAll = await MedianRssAsync(host.Pid, cancellationToken);

        var cpu0 = ProcStat.CpuSeconds(host.Pid);
        var clientCpu0 = ProcStat.CpuSeconds(Environment.ProcessId);
        var t0 = DateTimeOffset.UtcNow;
        await LiveClients.FlipAsync(h.Http, targetPort, flips, monitors, interval, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        var cpu1 = ProcStat.CpuSeconds(host.Pid);
        var clientCpu1 = ProcStat.CpuSeconds(Environment.ProcessId);
        var wall = (DateTimeOffset.UtcNow - t0).TotalSeconds;
        var peakKb = ProcStat.StatusKb(host.Pid, "VmHWM");

        var expected = await LiveClients.EventIdsAfterAsync(h.Http, baseUrl, cursor0, cancellationToken);
        await stop.CancelAsync();
        await Task.WhenAll(sseTasks.Concat(pollTasks)).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        await host.StopAsync(TimeSpan.FromSeconds(30));

        var table = new Table($"Live fan-out: {sseCount:N0} SSE + {pollCount:N0} long-poll clients, {monitors} monitors every {interval} s, {flips} status changes");
        table.Add("Load average before connecting", load);
        table.Add("SSE clients connected", $"{sseConnected:N0} / {sseCount:N0}" + LiveClients.Errors(sse), $"{sseCount:N0}", sseConnected == sseCount);
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

    private static void Report(Table table, string name, LiveClient[] clients, List<long> expected)
    {
        LiveClients.ReportExactlyOnce(table, name, clients, expected);
        LiveClients.ReportLatency(table, $"{name}: delivery latency p50 / p99 / max", clients.SelectMany(c => c.LatencyMs), 200);
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
}
