using System.Net;
using System.Net.Sockets;
using DotNet.Testcontainers.Containers;
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
    private static string TimeoutMessage(int seconds) => $"no complete response within {seconds} s (connected, but the server sent nothing)";

    [Fact]
    public async Task A_paused_container_accepts_connections_but_never_answers()
    {
        await using var site = await BusyboxSite.StartAsync(busybox, Bound);

        var running = await RawRequestAsync(site.Port);
        await site.Container.PauseAsync().WaitAsync(Bound);
        try
        {
            var paused = await RawRequestAsync(site.Port);

            Assert.Equal((true, true), (running.Connected, running.Answered));
            Assert.Equal((true, false), (paused.Connected, paused.Answered));
        }
        finally
        {
            await UnpauseAsync(site.Container);
        }
    }

    [Fact]
    public async Task Pausing_the_site_container_makes_the_monitor_time_out_and_unpausing_brings_it_back()
    {
        await using var site = await BusyboxSite.StartAsync(busybox, Bound);
        var data = TestPaths.NewTempDirectory();
        var app = new UptimeWatchApp(data,
            [UptimeWatchApp.Monitor("Frozen site", site.Url, keyword: BusyboxImage.IndexText)]);
        try
        {
            await app.WaitForStatusAsync("frozen-site", "up", Bound);

            await site.Container.PauseAsync().WaitAsync(Bound);
            await app.WaitForStatusAsync("frozen-site", "down", Bound);
            var lastCheck = (await app.ChecksAsync("frozen-site", limit: 1)).Single();
            Assert.Equal(("down", "timeout", "timeout"), (lastCheck.Outcome, lastCheck.Category, lastCheck.Error));
            // The probe's own words are stored with the check; the public sees only the category.
            var stored = (await app.StoredChecksAsync("frozen-site", limit: 1)).Single();
            Assert.Equal(("down", TimeoutMessage(1)), (stored.Outcome, stored.Error));

            await site.Container.UnpauseAsync().WaitAsync(Bound);
            await app.WaitForStatusAsync("frozen-site", "up", Bound);

            var events = await Eventually.Until(
                async () => (await app.EventsAsync()).Where(e => e.Monitor == "frozen-site").ToList(),
                list => list.Count >= 3, Bound, "three status events for frozen-site");
            Assert.Equal([("unknown", "up"), ("up", "down"), ("down", "up")], events.Select(e => (e.From, e.To)).ToList());
            Assert.Equal(("timeout", "timeout"), (events[1].Category, events[1].Reason));
            var alert = Assert.Single(await app.AdminAlertsAsync(), a => a.RaisedSeq == events[1].Id);
            Assert.Contains(TimeoutMessage(1), alert.Reason, StringComparison.Ordinal);
        }
        finally
        {
            await UnpauseAsync(site.Container);
            await app.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Ten_frozen_targets_do_not_hold_up_the_checks_of_healthy_ones()
    {
        const int frozenCount = 10;
        const int healthyCount = 3;
        const int checksAmidFrozen = 3;
        // A frozen monitor's check takes its whole interval (it hangs until its deadline), so after the first slots every
        // frozen monitor always has a check hanging. The healthy target answers at once, far from its 2 s deadline.
        const int frozenSeconds = 5;
        const int healthySeconds = 2;

        var sites = new List<BusyboxSite>();
        await using var target = await TargetServer.StartAsync();
        var data = TestPaths.NewTempDirectory();
        UptimeWatchApp? app = null;
        try
        {
            var starting = Enumerable.Range(0, frozenCount).Select(_ => BusyboxSite.StartAsync(busybox, TimeSpan.FromSeconds(90))).ToList();
            try
            {
                await Task.WhenAll(starting);
            }
            finally
            {
                sites.AddRange(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }
            await Task.WhenAll(sites.Select(s => s.Container.PauseAsync())).WaitAsync(Bound);

            var frozen = sites.Select((site, i) => (Slug: $"frozen-{i}", site.Url)).ToList();
            var healthy = Enumerable.Range(0, healthyCount).Select(i => (Slug: $"healthy-{i}", Url: target.Url("/ok"))).ToList();
            app = new UptimeWatchApp(data,
                [.. frozen.Select(m => Every(m.Slug, m.Url, frozenSeconds)), .. healthy.Select(m => Every(m.Slug, m.Url, healthySeconds))]);

            // Order, not speed: healthy checks that started while every frozen monitor had a check hanging. Were healthy
            // checks queued behind frozen ones, none would start then. The wait's deadline is only a hang guard.
            var amid = await Eventually.Until(() => ChecksAmidFrozenAsync(app, frozen.Select(f => f.Slug), healthy.Select(h => h.Slug), frozenSeconds),
                found => found.Values.All(checks => checks.Count(c => c.Outcome == "up") >= checksAmidFrozen), TimeSpan.FromSeconds(120),
                $"{checksAmidFrozen} up checks of each healthy monitor started while all {frozenCount} frozen monitors had a check hanging");

            var status = await app.StatusAsync();
            foreach (var (slug, _) in healthy)
            {
                output.WriteLine($"{slug}: {amid[slug].Count} checks amid the frozen ones: {string.Join(" ", amid[slug].Select(c => c.Outcome))}");
                Assert.Equal("up", status.Monitors.Single(m => m.Slug == slug).Status);
                // None of them failed because others hung: each was up (missed slots are not checks and are left out).
                Assert.All(amid[slug], c => Assert.Equal(("up", (string?)null), (c.Outcome, c.Error)));
            }
            foreach (var (slug, _) in frozen)
            {
                Assert.Equal("down", status.Monitors.Single(m => m.Slug == slug).Status);
                // busybox listens with a backlog of 9: once the checks' abandoned connections fill it, the kernel stops
                // completing handshakes too. Either way the check ends at its deadline with the same message.
                var ran = (await app.ChecksAsync(slug)).Where(c => c.Outcome != "missed").ToList();
                Assert.NotEmpty(ran);
                Assert.All(ran, c => Assert.Equal(("down", "timeout"), (c.Outcome, c.Error)));
                // The probe's own words, as stored (the public sees the category).
                var stored = (await app.StoredChecksAsync(slug)).Where(c => c.Outcome != "missed").ToList();
                Assert.NotEmpty(stored);
                Assert.All(stored, c => Assert.Equal(("down", TimeoutMessage(frozenSeconds)), (c.Outcome, c.Error)));
            }
        }
        finally
        {
            foreach (var site in sites)
            {
                await UnpauseAsync(site.Container);
            }
            if (app is not null)
            {
                await app.DisposeAsync();
            }
            await Task.WhenAll(sites.Select(s => s.DisposeAsync().AsTask())).WaitAsync(Bound);
            Directory.Delete(data, recursive: true);
        }
    }

    private static Dictionary<string, string?> Every(string name, Uri url, int seconds) =>
        new(UptimeWatchApp.Monitor(name, url)) { ["IntervalSeconds"] = $"{seconds}", ["TimeoutSeconds"] = $"{seconds}" };

    /// <summary>
    /// Each healthy monitor's checks (not missed slots) that started while every frozen monitor had a check hanging: a
    /// frozen check hangs from its start until its deadline, <paramref name="frozenSeconds"/> later (it ends no sooner).
    /// </summary>
    private static async Task<Dictionary<string, List<CheckDto>>> ChecksAmidFrozenAsync(UptimeWatchApp app, IEnumerable<string> frozen,
        IEnumerable<string> healthy, int frozenSeconds)
    {
        var hanging = new List<List<(DateTimeOffset From, DateTimeOffset To)>>();
        foreach (var slug in frozen)
        {
            hanging.Add((await app.ChecksAsync(slug)).Where(c => c.Outcome != "missed").Select(c => (c.At, c.At.AddSeconds(frozenSeconds))).ToList());
        }
        var found = new Dictionary<string, List<CheckDto>>();
        foreach (var slug in healthy)
        {
            found[slug] = (await app.ChecksAsync(slug))
                .Where(c => c.Outcome != "missed" && hanging.All(spans => spans.Any(s => s.From <= c.At && c.At < s.To)))
                .ToList();
        }
        return found;
    }

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
}
