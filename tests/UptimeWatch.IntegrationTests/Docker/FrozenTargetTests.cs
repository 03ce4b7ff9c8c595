using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Monitoring;
using UptimeWatch.Scheduling;
using Xunit.Abstractions;

namespace UptimeWatch.IntegrationTests.Docker;

/// <summary>
/// Frozen targets: busybox httpd containers that are paused (cgroup freezer). Their listening socket stays open,
/// so the kernel still completes TCP handshakes, but no process ever reads a request: the worst kind of target,
/// one that hangs rather than fails. Each check must end at its own deadline and must not hold up anyone else's.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class FrozenTargetTests(BusyboxImage busybox, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private const string TimeoutMessage = "no complete response within 1 s (connected, but the server sent nothing)";

    [Fact]
    public async Task A_paused_container_accepts_connections_but_never_answers()
    {
        var port = TargetServer.FreePort();
        await using var site = BusyboxHttpd(port);
        await site.StartAsync().WaitAsync(Bound);

        var running = await RawRequestAsync(port);
        await site.PauseAsync().WaitAsync(Bound);
        try
        {
            var paused = await RawRequestAsync(port);

            Assert.Equal((true, true), (running.Connected, running.Answered));
            Assert.Equal((true, false), (paused.Connected, paused.Answered));
        }
        finally
        {
            await UnpauseAsync(site);
        }
    }

    [Fact]
    public async Task Pausing_the_site_container_makes_the_monitor_time_out_and_unpausing_brings_it_back()
    {
        var port = TargetServer.FreePort();
        await using var site = BusyboxHttpd(port);
        await site.StartAsync().WaitAsync(Bound);
        var data = TestPaths.NewTempDirectory();
        var app = new UptimeWatchApp(data,
            [UptimeWatchApp.Monitor("Frozen site", new Uri($"http://127.0.0.1:{port}/"), keyword: BusyboxImage.IndexText)]);
        try
        {
            await app.WaitForStatusAsync("frozen-site", "up", Bound);

            await site.PauseAsync().WaitAsync(Bound);
            await app.WaitForStatusAsync("frozen-site", "down", Bound);
            var lastCheck = (await app.ChecksAsync("frozen-site", limit: 1)).Single();
            Assert.Equal(("down", "timeout", "timeout"), (lastCheck.Outcome, lastCheck.Category, lastCheck.Error));
            // The probe's own words are stored with the check; the public sees only the category.
            var stored = (await app.StoredChecksAsync("frozen-site", limit: 1)).Single();
            Assert.Equal(("down", TimeoutMessage), (stored.Outcome, stored.Error));

            await site.UnpauseAsync().WaitAsync(Bound);
            await app.WaitForStatusAsync("frozen-site", "up", Bound);

            var events = await Eventually.Until(
                async () => (await app.EventsAsync()).Where(e => e.Monitor == "frozen-site").ToList(),
                list => list.Count >= 3, Bound, "three status events for frozen-site");
            Assert.Equal([("unknown", "up"), ("up", "down"), ("down", "up")], events.Select(e => (e.From, e.To)).ToList());
            Assert.Equal(("timeout", "timeout"), (events[1].Category, events[1].Reason));
            var alert = Assert.Single(await app.AdminAlertsAsync(), a => a.RaisedSeq == events[1].Id);
            Assert.Contains(TimeoutMessage, alert.Reason, StringComparison.Ordinal);
        }
        finally
        {
            await UnpauseAsync(site);
            await app.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Ten_frozen_targets_do_not_delay_the_checks_of_healthy_ones()
    {
        const int frozenCount = 10;
        const int healthyCount = 3;
        var window = TimeSpan.FromSeconds(10);

        var ports = new HashSet<int>();
        while (ports.Count < frozenCount)
        {
            ports.Add(TargetServer.FreePort());
        }
        var sites = ports.Select(BusyboxHttpd).ToList();
        await using var target = await TargetServer.StartAsync();
        var data = TestPaths.NewTempDirectory();
        UptimeWatchApp? app = null;
        try
        {
            await Task.WhenAll(sites.Select(s => s.StartAsync())).WaitAsync(TimeSpan.FromSeconds(90));
            await Task.WhenAll(sites.Select(s => s.PauseAsync())).WaitAsync(Bound);

            var frozen = ports.Select((port, i) => (Slug: $"frozen-{i}", Url: new Uri($"http://127.0.0.1:{port}/"))).ToList();
            var healthy = Enumerable.Range(0, healthyCount).Select(i => (Slug: $"healthy-{i}", Url: target.Url("/ok"))).ToList();
            app = new UptimeWatchApp(data,
                [.. frozen.Select(m => UptimeWatchApp.Monitor(m.Slug, m.Url)), .. healthy.Select(m => UptimeWatchApp.Monitor(m.Slug, m.Url))]);

            var started = DateTimeOffset.UtcNow;
            await app.StatusAsync(); // Starts the host, and with it the schedule.
            await Eventually.Until(app.StatusAsync,
                s => frozen.All(f => s.Monitors.Any(m => m.Slug == f.Slug && m.Status == "down")), Bound, "every frozen monitor to be down");
            var remaining = started + window - DateTimeOffset.UtcNow;
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining);
            }

            var status = await app.StatusAsync();
            var ids = app.Services.GetRequiredService<MonitorRegistry>().Active.ToDictionary(m => m.Definition.Slug, m => m.Id);
            var checks = new Dictionary<string, IReadOnlyList<SlotCheck>>();
            // Every check as the API lists it, missed slots included (OnGrid leaves those out).
            var listed = new Dictionary<string, IReadOnlyList<CheckDto>>();
            foreach (var slug in frozen.Concat(healthy).Select(m => m.Slug))
            {
                listed[slug] = await app.ChecksAsync(slug);
                checks[slug] = OnGrid(ids[slug], listed[slug]);
            }
            Report("healthy", healthy.Select(h => checks[h.Slug]).ToList());
            Report("frozen", frozen.Select(f => checks[f.Slug]).ToList());
            foreach (var (slug, _) in healthy)
            {
                output.WriteLine($"{slug} lateness ms: {string.Join(" ", checks[slug].Select(c => c.LatenessMs))}");
            }

            foreach (var (slug, _) in frozen)
            {
                Assert.Equal("down", status.Monitors.Single(m => m.Slug == slug).Status);
                // busybox listens with a backlog of 9: once the checks' abandoned connections fill it, the kernel stops
                // completing handshakes too. Either way the check ends at its deadline with the same message.
                var ran = checks[slug].Where(c => c.Check.Outcome != "missed").ToList();
                Assert.NotEmpty(ran);
                Assert.All(ran, c => Assert.Equal(("down", "timeout"), (c.Check.Outcome, c.Check.Error)));
                // The probe's own words, as stored (the public sees the category).
                var stored = (await app.StoredChecksAsync(slug)).Where(c => c.Outcome != "missed").ToList();
                Assert.NotEmpty(stored);
                Assert.All(stored, c => Assert.Equal(("down", TimeoutMessage), (c.Outcome, c.Error)));
            }
            foreach (var (slug, _) in healthy)
            {
                Assert.Equal("up", status.Monitors.Single(m => m.Slug == slug).Status);
                // No slot of a healthy monitor is missed because others hang: read before OnGrid drops missed ones.
                Assert.All(listed[slug], c => Assert.Equal(("up", (string?)null), (c.Outcome, c.Error)));
                var list = checks[slug];
                Assert.All(list, c => Assert.Equal(("up", (string?)null), (c.Check.Outcome, c.Check.Error)));
                Assert.True(list.Count >= 5, $"{slug} ran only {list.Count} checks in {window.TotalSeconds} s");
                // Every check in a slot of its own, and (besides none recorded as missed, above) at most one slot
                // between the first and the last without a check: generous about timing, strict about lost checks.
                var slots = (int)((list[^1].Slot - list[0].Slot) / 1000) + 1;
                Assert.Equal(list.Count, list.Select(c => c.Slot).Distinct().Count());
                Assert.InRange(list.Count, slots - 1, slots);
            }
        }
        finally
        {
            foreach (var site in sites)
            {
                await UnpauseAsync(site);
            }
            if (app is not null)
            {
                await app.DisposeAsync();
            }
            await Task.WhenAll(sites.Select(s => s.DisposeAsync().AsTask())).WaitAsync(Bound);
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>A check placed on its monitor's 1 s grid: the slot it ran for, and how late it started.</summary>
    private sealed record SlotCheck(CheckDto Check, long Slot, long LatenessMs);

    /// <summary>
    /// A monitor's slots lie on a fixed grid whose phase comes from its id (see <see cref="ScheduleReconciler.FirstSlot"/>);
    /// a check belongs to the last slot at or before its start. Missed slots are left out: they did not run.
    /// </summary>
    private static List<SlotCheck> OnGrid(int monitorId, IReadOnlyList<CheckDto> checks)
    {
        var phase = ScheduleReconciler.FirstSlot(monitorId, TimeSpan.FromSeconds(1), DateTimeOffset.UtcNow).ToUnixTimeMilliseconds() % 1000;
        return checks.Where(c => c.Outcome != "missed").OrderBy(c => c.At).Select(c =>
        {
            var at = c.At.ToUnixTimeMilliseconds();
            var lateness = ((at - phase) % 1000 + 1000) % 1000;
            return new SlotCheck(c, at - lateness, lateness);
        }).ToList();
    }

    /// <summary>
    /// Writes how late checks started after their slots, overall and after each monitor's first check (which also
    /// waits for the host to finish starting), and the gaps between consecutive checks. Measured, not asserted:
    /// timing depends on the machine; the assertions are about lost checks only.
    /// </summary>
    private void Report(string label, IReadOnlyList<IReadOnlyList<SlotCheck>> monitors)
    {
        var all = monitors.SelectMany(m => m.Select(c => (double)c.LatenessMs)).Order().ToList();
        var steady = monitors.SelectMany(m => m.Skip(1).Select(c => (double)c.LatenessMs)).Order().ToList();
        var gaps = monitors.SelectMany(m => m.Zip(m.Skip(1), (a, b) => (b.Check.At - a.Check.At).TotalMilliseconds)).Order().ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: {monitors.Count} monitors, {all.Count} checks; lateness ms median {Percentile(all, 0.5):0} p95 {Percentile(all, 0.95):0} " +
            $"max {all[^1]:0}; after the first check: median {Percentile(steady, 0.5):0} p95 {Percentile(steady, 0.95):0} max {steady[^1]:0}; " +
            $"gaps ms min {gaps[0]:0} median {Percentile(gaps, 0.5):0} max {gaps[^1]:0}"));
    }

    private static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>One raw HTTP request: did the TCP connection open within 1 s, and did any byte come back within 1 s.</summary>
    private static async Task<(bool Connected, bool Answered)> RawRequestAsync(int port)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        using var connectTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, connectTimeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return (false, false);
        }
        using var readTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync("GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"u8.ToArray(), readTimeout.Token);
            return (true, await stream.ReadAsync(new byte[64], readTimeout.Token) > 0);
        }
        catch (OperationCanceledException)
        {
            return (true, false);
        }
    }

    /// <summary>A paused container cannot be stopped cleanly: thaw it first, whatever the test did.</summary>
    private static async Task UnpauseAsync(IContainer site)
    {
        if (site.State == TestcontainersStates.Paused)
        {
            await site.UnpauseAsync().WaitAsync(Bound);
        }
    }

    private IContainer BusyboxHttpd(int port) => new ContainerBuilder(busybox.Image)
        .WithCommand("httpd", "-f", "-p", $"127.0.0.1:{port}", "-h", "/www")
        .WithCreateParameterModifier(p =>
        {
            p.HostConfig!.NetworkMode = "host";
            p.HostConfig.Init = true; // busybox as PID 1 ignores SIGTERM: every stop would take 10 s.
        })
        .WithWaitStrategy(Wait.ForUnixContainer()
            .AddCustomWaitStrategy(new TcpPortIsOpen(port), s => s.WithTimeout(Bound)))
        .Build();
}
