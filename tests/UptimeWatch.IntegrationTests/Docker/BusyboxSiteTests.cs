namespace UptimeWatch.IntegrationTests.Docker;

/// <summary>
/// A real web server in a real container (busybox httpd, host networking, bound to 127.0.0.1 only) that the test
/// stops and starts again, while UptimeWatch watches it through its public API.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class BusyboxSiteTests(BusyboxImage busybox)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Stopping_the_site_container_turns_the_monitor_down_and_starting_it_turns_it_up()
    {
        await using var site = await BusyboxSite.StartAsync(busybox, Bound);

        var data = TestPaths.NewTempDirectory();
        await using var app = new UptimeWatchApp(data,
            [UptimeWatchApp.Monitor("Busybox site", site.Url, failureThreshold: 2, keyword: BusyboxImage.IndexText)]);

        await app.WaitForStatusAsync("busybox-site", "up", Bound);

        await site.Container.StopAsync().WaitAsync(Bound);
        await app.WaitForStatusAsync("busybox-site", "down", Bound);

        await site.StartAgainAsync(); // Same command line, so the same port; waits until it serves again.
        await app.WaitForStatusAsync("busybox-site", "up", Bound);

        var events = await Eventually.Until(
            async () => (await app.EventsAsync()).Where(e => e.Monitor == "busybox-site").ToList(),
            list => list.Count >= 3, Bound, "three status events for busybox-site");
        Assert.Equal(
            [("unknown", "up"), ("up", "down"), ("down", "up")],
            events.Select(e => (e.From, e.To)).ToList());
        // The public sees the category; the probe's own words are in the alert the down event raised (admin API).
        Assert.Equal(("connection_refused", "connection refused"), (events[1].Category, events[1].Reason));
        var alert = Assert.Single(await app.AdminAlertsAsync(), a => a.RaisedSeq == events[1].Id);
        Assert.Contains("connection refused", alert.Reason, StringComparison.OrdinalIgnoreCase);

        await app.DisposeAsync();
        Directory.Delete(data, recursive: true);
    }

    [Fact]
    public async Task A_port_another_process_took_first_is_not_taken_for_the_site_which_starts_on_another()
    {
        // Another process listens on the port chosen first: it accepts connections (into its backlog) but is not the site.
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((System.Net.IPEndPoint)squatter.LocalEndpoint).Port;
        var ports = new Queue<int>([taken]);

        await using var site = await BusyboxSite.StartAsync(busybox, Bound, () => ports.TryDequeue(out var port) ? port : PortClash.Candidate());

        Assert.NotEqual(taken, site.Port);
        using var client = new HttpClient { Timeout = Bound };
        Assert.Contains(BusyboxImage.IndexText, await client.GetStringAsync(site.Url));
    }
}
