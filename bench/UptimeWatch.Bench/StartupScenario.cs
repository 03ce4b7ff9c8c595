namespace UptimeWatch.Bench;

/// <summary>
/// Scenario 6: from process start to serving (<c>/healthz</c> answers 200) and to the first check (the target's
/// first request on a monitor path), with N monitors: once on an empty database (first run: migrations and N
/// monitor rows are created), once more on the same database (a restart).
/// </summary>
internal static class StartupScenario
{
    public static async Task<int> RunAsync(Args args, CancellationToken cancellationToken)
    {
        var monitors = args.Int("monitors", 10_000);
        var interval = args.Int("interval", 30);
        await using var h = Harness.Create("startup", args);
        var (_, targetPort) = h.StartTarget(monitors, 600);
        await h.WaitForTargetAsync(targetPort, cancellationToken);
        var config = h.WriteConfig("config.json", Harness.HttpMonitors(monitors, targetPort, interval));
        var table = new Table($"Start-up with {monitors:N0} HTTP monitors (interval {interval} s)");
        table.Add("Load average before", Harness.LoadAverage());

        foreach (var run in new[] { "first start (empty database)", "restart (same database)" })
        {
            var before = (await TargetStats.ReadAsync(h.Http, targetPort)).MonitorRequests;
            var started = DateTimeOffset.UtcNow;
            var (host, port) = h.StartUptimeWatch(config, $"uptimewatch-{(before == 0 ? 1 : 2)}.log");
            var serving = await h.WaitServingAsync(host, port, TimeSpan.FromSeconds(180), cancellationToken);
            // The first check after this start: the first new request on a monitor path.
            DateTimeOffset firstCheck = default;
            await Harness.Until(async () =>
            {
                var stats = await TargetStats.ReadAsync(h.Http, targetPort);
                if (stats.MonitorRequests > before)
                {
                    firstCheck = DateTimeOffset.UtcNow;
                    return true;
                }
                return false;
            }, TimeSpan.FromSeconds(interval + 60), "the first check", cancellationToken, TimeSpan.FromMilliseconds(20));
            if (before == 0)
            {
                // On the first run the target notes the exact moment of its first request.
                firstCheck = DateTimeOffset.FromUnixTimeMilliseconds((await TargetStats.ReadAsync(h.Http, targetPort)).FirstMonitorRequestUnixMs);
            }
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
            var rss = ProcStat.RssKb(host.Pid);
            table.Add($"{run}: process start → serving", $"{(serving - started).TotalSeconds:F2} s");
            table.Add($"{run}: process start → first check", $"{(firstCheck - started).TotalSeconds:F2} s (first-check time is exact on the first run, ±20 ms polling on the restart)");
            table.Add($"{run}: RSS 3 s after the first check", $"{rss / 1024.0:F0} MiB");
            await host.StopAsync(TimeSpan.FromSeconds(60));
        }
        table.Print();
        return 0;
    }
}
