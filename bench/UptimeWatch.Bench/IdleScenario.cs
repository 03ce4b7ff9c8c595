using System.Globalization;

namespace UptimeWatch.Bench;

/// <summary>
/// Idle memory (issue 19: "idle with no monitors ≤ 60 MiB"): UptimeWatch with an empty monitor list, asked once for each
/// page a visitor or an admin opens first, then left alone for <c>--seconds</c>; RSS split into anonymous memory, mapped
/// files and shared memory (the JIT's double-mapped code), and the largest mappings. Then the floor under it: an empty
/// ASP.NET Core app (<see cref="Floor"/>, one <c>MapGet</c>, the same workstation GC) measured the same way.
/// </summary>
internal static class IdleScenario
{
    public static async Task<int> RunAsync(Args args, CancellationToken cancellationToken)
    {
        var seconds = args.Int("seconds", 30);
        await using var h = Harness.Create("idle", args);
        var config = h.WriteConfig("config.json", []);
        var table = new Table($"Idle with no monitors, RSS after {seconds} s");
        table.Add("Load average before", Harness.LoadAverage());

        var (host, port) = h.StartUptimeWatch(config);
        await h.WaitServingAsync(host, port, TimeSpan.FromSeconds(60), cancellationToken);
        await TouchAsync(h, port, ["/healthz", "/", "/api/status", "/api/status/page", "/admin", "/metrics"], cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
        var uw = Memory.Read(host.Pid);
        table.Add("UptimeWatch RSS (anonymous + files + shared)", uw.Describe(), "≤ 60 MiB", uw.RssKb <= 60 * 1024);
        table.Add("UptimeWatch threads", Harness.Inv(Directory.GetDirectories($"/proc/{host.Pid}/task").Length));
        table.Add("UptimeWatch largest mappings", string.Join("; ", Memory.Largest(host.Pid, 8)));
        await host.StopAsync(TimeSpan.FromSeconds(10));

        var floorPort = Harness.FreePort();
        // The bench is built by the web SDK, whose default is the server GC; UptimeWatch runs the workstation GC.
        var floor = Child.StartDotnet("floor", Harness.BenchDll, ["floor", "--port", Harness.Inv(floorPort)], h.Work,
            Path.Combine(h.Work, "floor.log"), new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" });
        await Harness.Until(async () =>
        {
            using var response = await h.Http.GetAsync($"http://127.0.0.1:{floorPort}/healthz", cancellationToken);
            return response.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(30), "the empty app", cancellationToken, TimeSpan.FromMilliseconds(50));
        await TouchAsync(h, floorPort, ["/healthz", "/healthz"], cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
        var bare = Memory.Read(floor.Pid);
        table.Add("Empty ASP.NET Core app (one MapGet, workstation GC) RSS", bare.Describe());
        table.Add("UptimeWatch ÷ the empty app", (uw.RssKb / (double)bare.RssKb).ToString("F2", CultureInfo.InvariantCulture));
        await floor.StopAsync(TimeSpan.FromSeconds(5));
        table.Print();
        return 0;
    }

    private static async Task TouchAsync(Harness h, int port, string[] paths, CancellationToken cancellationToken)
    {
        foreach (var path in paths)
        {
            using var response = await h.Http.GetAsync($"http://127.0.0.1:{port}{path}", cancellationToken);
        }
    }

    private sealed record Memory(long RssKb, long AnonKb, long FileKb, long SharedKb)
    {
        public static Memory Read(int pid) => new(ProcStat.RssKb(pid), ProcStat.StatusKb(pid, "RssAnon"),
            ProcStat.StatusKb(pid, "RssFile"), ProcStat.StatusKb(pid, "RssShmem"));

        public string Describe() => $"{RssKb / 1024} MiB ({AnonKb / 1024} + {FileKb / 1024} + {SharedKb / 1024})";

        /// <summary>Resident KiB per mapping name from /proc/pid/smaps, largest first.</summary>
        public static IEnumerable<string> Largest(int pid, int count)
        {
            var sizes = new Dictionary<string, long>();
            var name = "[anon]";
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
            {
                var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 5 && parts[0].Contains('-') && !parts[0].EndsWith(':'))
                {
                    name = parts.Length == 6 ? Path.GetFileName(parts[5].Trim()) is { Length: > 0 } file ? file : parts[5].Trim() : "[anon]";
                }
                else if (parts is ["Rss:", var kb, ..])
                {
                    sizes[name] = sizes.GetValueOrDefault(name) + long.Parse(kb, CultureInfo.InvariantCulture);
                }
            }
            return sizes.OrderByDescending(s => s.Value).Take(count).Select(s => $"{s.Key} {s.Value / 1024.0:F1} MiB");
        }
    }
}

/// <summary>The floor for <see cref="IdleScenario"/>: an empty ASP.NET Core app with one endpoint.</summary>
internal static class Floor
{
    public static async Task<int> RunAsync(Args args)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{args.Int("port", 5000)}");
        var app = builder.Build();
        app.MapGet("/healthz", () => "ok");
        await app.RunAsync();
        return 0;
    }
}
