using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;

namespace UptimeWatch.IntegrationTests.Docker;

/// <summary>
/// busybox httpd in a container of <see cref="BusyboxImage"/>: host networking, bound to 127.0.0.1:<see cref="Port"/>
/// only, serving <c>/www</c>. Ready when it serves this container's own random marker, so another process that took
/// the port cannot pass for it. A port taken between choosing and binding it makes httpd exit ("Address in use"): the
/// start is tried again, in a new container on a new port (<see cref="PortClash"/>).
/// </summary>
internal sealed class BusyboxSite : IAsyncDisposable
{
    private static readonly TimeSpan CommandBound = TimeSpan.FromSeconds(60);

    private readonly string _marker = Guid.NewGuid().ToString("N");

    private BusyboxSite(BusyboxImage image, int port, TimeSpan bound)
    {
        Port = port;
        Bound = bound;
        // The marker is written into the container's own layer at each start, then httpd replaces the shell.
        Container = new ContainerBuilder(image.Image)
            .WithCommand("sh", "-c", $"echo {_marker} > /www/marker.txt && exec /bin/busybox httpd -f -p 127.0.0.1:{port} -h /www")
            .WithCreateParameterModifier(p =>
            {
                p.HostConfig!.NetworkMode = "host";
                p.HostConfig.Init = true; // busybox as PID 1 ignores SIGTERM: every stop would take 10 s.
            })
            .WithWaitStrategy(Wait.ForUnixContainer().AddCustomWaitStrategy(new ServingOrExited(this), s => s.WithTimeout(bound)))
            .Build();
    }

    public IContainer Container { get; }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    /// <summary>How long a start or a stop may take: a hang guard.</summary>
    private TimeSpan Bound { get; }

    /// <summary>A new container on a free port, started and serving.</summary>
    public static Task<BusyboxSite> StartAsync(BusyboxImage image, TimeSpan bound, Func<int>? choosePort = null) =>
        PortClash.RetryAsync("busybox httpd", async () =>
        {
            var site = new BusyboxSite(image, (choosePort ?? PortClash.Candidate)(), bound);
            try
            {
                await site.StartAgainAsync();
                return site;
            }
            catch
            {
                await site.DisposeAsync();
                throw;
            }
        });

    /// <summary>
    /// Starts the (stopped) container: the same command, so the same port, which is what a monitor watches. A port
    /// taken while the site was stopped fails the start, saying so (<see cref="PortTakenException"/>).
    /// </summary>
    public async Task StartAgainAsync()
    {
        try
        {
            await Container.StartAsync().WaitAsync(Bound);
        }
        catch (ContainerNotRunningException)
        {
            // httpd exited before the wait saw it: its log says why, as below.
        }
        if (!await ServesMarkerAsync())
        {
            var (stdout, stderr) = await Container.GetLogsAsync();
            var logs = (stdout + stderr).Trim();
            if (PortClash.IsReportedIn(logs))
            {
                throw new PortTakenException($"busybox httpd on 127.0.0.1:{Port}: {logs}");
            }
            throw new InvalidOperationException($"busybox httpd on 127.0.0.1:{Port} exited while starting: {logs}");
        }
    }

    public async ValueTask DisposeAsync() => await Container.DisposeAsync().AsTask().WaitAsync(Bound);

    /// <summary>Whether this container, not any process on the port, answers: it serves the marker it wrote.</summary>
    private async Task<bool> ServesMarkerAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            return (await client.GetStringAsync(new Uri(Url, "marker.txt"))).Trim() == _marker;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private async Task<bool> ExitedAsync()
    {
        var state = await DockerCli.RunAsync("docker", ["inspect", "--format", "{{.State.Status}}", Container.Id], CommandBound);
        return state.ExitCode == 0 && state.Stdout.Trim() is "exited" or "dead";
    }

    /// <summary>
    /// Done waiting when the site serves its marker, or when httpd has exited (a taken port): the start then tells
    /// the two apart. Never throws, so that no wait strategy's handling of exceptions matters.
    /// </summary>
    private sealed class ServingOrExited(BusyboxSite site) : IWaitUntil
    {
        public async Task<bool> UntilAsync(IContainer container) => await site.ServesMarkerAsync() || await site.ExitedAsync();
    }
}
