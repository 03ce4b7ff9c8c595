using System.Text.Json;
using static UptimeWatch.Bench.Harness;

namespace UptimeWatch.Bench;

/// <summary>
/// Scenarios 1–3: N HTTP monitors at an interval against the local target, measured from outside over a window
/// after warm-up; in the same run a bare HttpClient loop at the same rate (its own process) for the CPU ratio.
/// Slots, misses and lateness are read from UptimeWatch's database after a graceful stop.
/// </summary>
internal static class ProbeScenario
{
    private static string BarePrefix(string mode) => mode switch { "pooled" => "p", "fresh-nospin" => "n", _ => "f" };

    public static async Task<int> RunAsync(Args args, CancellationToken cancellationToken)
    {
        var monitors = args.Int("monitors", 10_000);
        var interval = args.Int("interval", 30);
        var warmup = args.Int("warmup", interval + 15);
        var duration = args.Int("duration", 120);
        // fresh | pooled | both | all | none, or a comma list; "fresh-nospin" is fresh with the thread pool's spinning off
        var bareMode = args.Str("bare", "fresh");
        var title = args.Str("title", $"Probe: {monitors:N0} HTTP monitors every {interval} s");
        await using var h = Harness.Create("probe", args);

        var total = warmup + duration + 120;
        // Room for the first rollup too (waited for below).
        var (target, targetPort) = h.StartTarget(monitors, total + 60 + 600);
        await h.WaitForTargetAsync(targetPort, cancellationToken);
        var config = h.WriteConfig("config.json", HttpMonitors(monitors, targetPort, interval));
        var startedAt = DateTimeOffset.UtcNow;
        var (host, port) = h.StartUptimeWatch(config);
        var servingAt = await h.WaitServingAsync(host, port, TimeSpan.FromSeconds(180), cancellationToken);
        Console.WriteLine($"[bench] UptimeWatch serving after {(servingAt - startedAt).TotalSeconds:F1} s; warm-up {warmup} s, window {duration} s");
        var rollup = await WaitForFirstRollupAsync([Path.Combine(h.Work, "uptimewatch.log")], TimeSpan.FromSeconds(600), cancellationToken);
        Console.WriteLine($"[bench] first rollup done {rollup.TotalSeconds:F1} s after serving; the warm-up starts now");

        // The bare clients run for warm-up + window at the same cadence, against the same target, each in its own process.
        var bares = new List<(string Mode, Child Process, string Log)>();
        foreach (var mode in bareMode switch
                 {
                     "both" => new[] { "fresh", "pooled" }, "all" => ["fresh", "fresh-nospin", "pooled"], "none" => [], var m => m.Split(','),
                 })
        {
            var log = Path.Combine(h.Work, $"bare-{mode}.log");
            var extra = mode.StartsWith("fresh", StringComparison.Ordinal) ? new[] { "--fresh" } : [];
            var env = mode.EndsWith("nospin", StringComparison.Ordinal)
                ? new Dictionary<string, string> { ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0" } : null;
            bares.Add((mode, Child.StartDotnet($"bare-{mode}", BenchDll,
                ["bare", "--url", $"http://127.0.0.1:{targetPort}/bare/{BarePrefix(mode)}/", "--monitors", Inv(monitors), "--interval", Inv(interval),
                 "--seconds", Inv(warmup + duration + 5), .. extra], h.Work, log, env), log));
        }

        await Task.Delay(TimeSpan.FromSeconds(warmup), cancellationToken);
        var load = LoadAverage();
        var t0 = DateTimeOffset.UtcNow;
        var cpu0 = ProcStat.CpuSeconds(host.Pid);
        var bareCpu0 = bares.Select(b => ProcStat.CpuSeconds(b.Process.Pid)).ToArray();
        var targetCpu0 = ProcStat.CpuSeconds(target.Pid);
        var stats0 = await TargetStats.ReadAsync(h.Http, targetPort);
        long[] rss;
        await using (var sampler = new RssSampler(host.Pid))
        {
            await Task.Delay(TimeSpan.FromSeconds(duration), cancellationToken);
            rss = sampler.Samples();
        }
        var t1 = DateTimeOffset.UtcNow;
        var cpu1 = ProcStat.CpuSeconds(host.Pid);
        var bareCpu1 = bares.Select(b => ProcStat.CpuSeconds(b.Process.Pid)).ToArray();
        var targetCpu1 = ProcStat.CpuSeconds(target.Pid);
        var stats1 = await TargetStats.ReadAsync(h.Http, targetPort);
        var peakKb = ProcStat.StatusKb(host.Pid, "VmHWM");
        var wall = (t1 - t0).TotalSeconds;

        foreach (var b in bares)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            await b.Process.WaitForExitAsync(wait.Token);
        }
        // A graceful stop writes every finished check, so the database holds the whole window.
        await host.StopAsync(TimeSpan.FromSeconds(60));

        var slots = SlotAnalysis.Read(h, interval, t0.ToUnixTimeMilliseconds(), t1.ToUnixTimeMilliseconds());
        var (bytesPerCheck, storage) = StorageMath.BytesPerCheck(h);

        var cpuPerCheckMs = (cpu1 - cpu0) * 1000 / Math.Max(1, slots.Done);
        var table = new Table(title);
        table.Add("Window", $"{wall:F0} s after {warmup} s warm-up (load average at start: {load})");
        table.Add("Slots due in window", $"{slots.Due:N0}");
        table.Add("Checks done (ran in their slot)", $"{slots.Done:N0} ({100.0 * slots.Done / Math.Max(1, slots.Due):F2} %)", "100 %", slots.Done == slots.Due);
        table.Add("Missed slots (stored as missed)", $"{slots.Missed:N0}", "0", slots.Missed == 0);
        table.Add("Slots with no row at all", $"{slots.Absent:N0}", "0", slots.Absent == 0);
        table.Add("Checks with verdict down", $"{slots.Down:N0}" + (slots.TopError is { } e ? $" (most common: {e})" : ""), "0", slots.Down == 0);
        table.Add("Schedule lateness p50 / p99 / max", $"{slots.LatenessP50:F0} / {slots.LatenessP99:F0} / {slots.LatenessMax:F0} ms", "p99 ≤ 100 ms", slots.LatenessP99 <= 100);
        table.Add("Target requests to /m/* in window", $"{stats1.MonitorRequests - stats0.MonitorRequests:N0}");
        table.Add("UptimeWatch CPU in window", $"{cpu1 - cpu0:F1} s = {(cpu1 - cpu0) / wall * 100:F1} % of one core");
        table.Add("UptimeWatch CPU per check", $"{cpuPerCheckMs:F3} ms");
        var rssSorted = rss.Select(x => (double)x).Order().ToList();
        table.Add("UptimeWatch RSS steady (median in window) / peak (VmHWM)", $"{Percentile(rssSorted, 50) / 1024:F0} MiB / {peakKb / 1024.0:F0} MiB",
            monitors >= 5000 ? "≤ 300 MiB" : "≤ 100 MiB", Math.Max(peakKb / 1024.0, Percentile(rssSorted, 50) / 1024) <= (monitors >= 5000 ? 300 : 100));
        if (monitors < 5000)
        {
            table.Add("UptimeWatch CPU, % of one core", $"{(cpu1 - cpu0) / wall * 100:F2} %", "≤ 2 %", (cpu1 - cpu0) / wall * 100 <= 2);
        }
        for (var i = 0; i < bares.Count; i++)
        {
            var result = File.ReadAllLines(bares[i].Log).LastOrDefault(l => l.StartsWith('{')) ?? "{}";
            // Each client has its own path prefix (/bare/f/, /bare/p/), so the target counts them apart.
            var perClient = stats1.Bare(BarePrefix(bares[i].Mode)) - stats0.Bare(BarePrefix(bares[i].Mode));
            var bareMs = (bareCpu1[i] - bareCpu0[i]) * 1000 / Math.Max(1, perClient);
            table.Add($"Bare HttpClient ({bares[i].Mode} connection per GET): CPU per GET incl. idle", $"{bareMs:F3} ms ({perClient:N0} GETs, {bareCpu1[i] - bareCpu0[i]:F1} s CPU; {result})");
            table.Add($"Ratio UptimeWatch per check / bare {bares[i].Mode} per GET", $"{cpuPerCheckMs / bareMs:F2}",
                bares[i].Mode == "fresh" ? "≤ 2.0" : "", bares[i].Mode == "fresh" ? cpuPerCheckMs / bareMs <= 2.0 : null);
        }
        table.Add("Target process CPU in window (for reference)", $"{targetCpu1 - targetCpu0:F1} s");
        table.Add("Stored bytes per check (check_results + its indexes, page accounting after VACUUM INTO)", storage, "≤ 60 B", bytesPerCheck <= 60);
        table.Print();
        Console.WriteLine($"slot-analysis: {JsonSerializer.Serialize(slots)}");
        return 0;
    }
}
