using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace UptimeWatch.IntegrationTests.Docker;

/// <summary>
/// The image built from the shipped deploy/Dockerfile, run as deploy/README.md runs it (a named volume on /data, the
/// config mounted read-only), but on the host's network bound to 127.0.0.1 only, watching a target in this process.
/// </summary>
[Collection(UptimeWatchImageCollection.Name)]
public sealed class UptimeWatchImageTests(UptimeWatchImage image, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan CommandBound = TimeSpan.FromSeconds(60);

    /// <summary>The uid of the official images' "app" user ($APP_UID), which the Dockerfile runs as.</summary>
    private const string AppUid = "1654";

    /// <summary>What docker-compose.yml gives a stop (stop_grace_period), and what the test gives <c>docker stop</c>.</summary>
    private const int StopTimeoutSeconds = 45;

    [Fact]
    public async Task The_image_runs_as_non_root_turns_healthy_keeps_its_history_on_the_volume_and_stops_within_the_grace_period()
    {
        output.WriteLine($"{image.Tag}: {image.Timings}");
        await using var target = await TargetServer.StartAsync();
        // A cold target can take over a second for its first answers: a check that gave up at its 1 s deadline while
        // the target still answered would be a stored "down" for an answer the target counted.
        using (var warm = new HttpClient())
        {
            for (var i = 0; i < 5; i++)
            {
                (await warm.GetAsync(target.Url("/counted/warm-up"))).EnsureSuccessStatusCode();
            }
        }
        // Target paths are the monitors' slugs. "slow" takes 1.5 s to answer, so a check is usually in flight.
        var monitors = new object[]
        {
            new { Name = "quick", Url = target.Url("/counted/quick").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1 },
            new { Name = "slow", Url = target.Url("/counted/slow?ms=1500").ToString(), IntervalSeconds = 2, TimeoutSeconds = 2 },
        };
        var work = TestPaths.NewTempDirectory("uw-image");
        var config = Path.Combine(work, "appsettings.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new { UptimeWatch = new { Monitors = monitors } }));

        var volume = $"uw-test-data-{Guid.NewGuid():N}"[..26];
        var containers = new List<string>();
        try
        {
            await DockerCli.DockerAsync(CommandBound, "volume", "create", volume);
            var (first, port) = await RunAsync(containers, volume, config);
            using var client = Client(port);

            // Non-root: the container's main process, as the host's kernel sees it.
            var pid = await InspectAsync(first, "{{.State.Pid}}");
            Assert.True(pid != "0", $"the container is not running: {await DescribeAsync(first)}");
            var uids = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            Assert.Equal(["Uid:", AppUid, AppUid, AppUid, AppUid], uids.Split('\t', StringSplitOptions.RemoveEmptyEntries));

            // The image's own HEALTHCHECK command (only its interval shortened at docker run).
            string health;
            try
            {
                health = await Eventually.Until(() => InspectAsync(first, "{{.State.Health.Status}}"),
                    s => s is "healthy" or "unhealthy", Bound, "the container's health check to decide");
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}: {await DescribeAsync(first)}", e);
            }
            Assert.True(health == "healthy", $"the health check says {health}: {await DescribeAsync(first)}");

            // Monitors are checked, as the public API says.
            await Eventually.Until(() => StatusAsync(client), s => s is not null && s.Monitors.Count == 2 && s.Monitors.All(m => m.Status == "up"),
                Bound, "both monitors to be up");
            await Eventually.Until(() => Task.FromResult((Quick: target.Served("quick"), Slow: target.Served("slow"))),
                n => n.Quick >= 3 && n.Slow >= 2, Bound, "several checks of each monitor");
            // Stop while a check is running: it finishes within the grace period and is stored.
            await Eventually.Until(() => Task.FromResult(target.InFlight), n => n >= 1, Bound, "a check in flight");

            var stopping = Stopwatch.StartNew();
            await DockerCli.DockerAsync(TimeSpan.FromSeconds(StopTimeoutSeconds + 60), "stop", "--time",
                StopTimeoutSeconds.ToString(CultureInfo.InvariantCulture), first);
            stopping.Stop();
            var served = new Dictionary<string, int> { ["quick"] = target.Served("quick"), ["slow"] = target.Served("slow") };
            var exitCode = int.Parse(await InspectAsync(first, "{{.State.ExitCode}}"), CultureInfo.InvariantCulture);
            var firstLog = (await DockerCli.RunAsync("docker", ["logs", first], CommandBound)).Output;
            output.WriteLine($"docker stop took {stopping.Elapsed.TotalSeconds:0.0} s, exit code {exitCode}; the target answered {JsonSerializer.Serialize(served)}");

            // Ended by SIGTERM within the grace period: 0 (the graceful stop) or 143 (128 + SIGTERM). Had Docker run out of
            // its 45 s and killed it, 137 (128 + SIGKILL).
            Assert.True(exitCode is 0 or 143, $"exit code {exitCode} after docker stop; log: {DockerCli.Tail(firstLog)}");
            Assert.Contains("Application is shutting down", firstLog);

            // A new container on the same volume: removing the old one loses nothing.
            await DockerCli.DockerAsync(CommandBound, "rm", first);
            var secondStarted = DateTimeOffset.UtcNow;
            var (_, secondPort) = await RunAsync(containers, volume, config);
            using var secondClient = Client(secondPort);
            await Eventually.Until(() => StatusAsync(secondClient), s => s is not null, Bound, "the re-created container to answer");

            foreach (var (slug, answered) in served)
            {
                var checks = await secondClient.GetFromJsonAsync<ChecksDto>($"/api/monitors/{slug}/checks?limit=1000");
                var fromFirst = checks!.Checks.Where(c => c.At < secondStarted).ToList();
                var up = fromFirst.Count(c => c.Outcome == "up");
                var down = fromFirst.Count(c => c.Outcome == "down");
                output.WriteLine($"{slug}: answered {answered}, stored {up} up and {down} down");
                // Every answer the target gave belongs to a stored check, the one in flight at the stop included: as "up",
                // or as "down" when the check's deadline passed just as the answer went out (a loaded machine). No "up"
                // without an answer. Normally there is no "down", and then the stored checks are exactly the answers.
                Assert.True(up <= answered && answered <= up + down,
                    $"{slug}: the target answered {answered} checks of the first container; after re-creating it the database has " +
                    $"{up} up and {down} down from then");
            }
            var events = (await secondClient.GetFromJsonAsync<EventsDto>("/api/events?after=0"))!.Events;
            Assert.Equal(["quick", "slow"], events.Where(e => e.At < secondStarted && e.From == "unknown" && e.To == "up")
                .Select(e => e.Monitor).Order().ToArray());
        }
        finally
        {
            foreach (var container in containers)
            {
                await DockerCli.RunAsync("docker", ["rm", "--force", container], CommandBound);
            }
            await DockerCli.RunAsync("docker", ["volume", "rm", volume], CommandBound);
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task A_container_whose_port_another_process_took_first_is_run_again_on_another_port()
    {
        var work = TestPaths.NewTempDirectory("uw-image");
        var config = Path.Combine(work, "appsettings.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new { UptimeWatch = new { Monitors = Array.Empty<object>() } }));
        var volume = $"uw-test-data-{Guid.NewGuid():N}"[..26];
        // Another process listens on the port chosen first: it accepts connections, but it is not UptimeWatch.
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((System.Net.IPEndPoint)squatter.LocalEndpoint).Port;
        var ports = new Queue<int>([taken]);
        var containers = new List<string>();
        try
        {
            await DockerCli.DockerAsync(CommandBound, "volume", "create", volume);

            var (name, port) = await RunAsync(containers, volume, config, () => ports.TryDequeue(out var p) ? p : PortClash.Candidate());

            Assert.NotEqual(taken, port);
            Assert.Equal(2, containers.Count);
            // The first container ended on the taken port; the second one answers on its own.
            Assert.Contains("address already in use", (await DockerCli.RunAsync("docker", ["logs", containers[0]], CommandBound)).Output,
                StringComparison.OrdinalIgnoreCase);
            using var client = Client(port);
            Assert.NotNull(await Eventually.Until(() => StatusAsync(client), s => s is not null, Bound, $"container {name} to answer"));
        }
        finally
        {
            foreach (var container in containers)
            {
                await DockerCli.RunAsync("docker", ["rm", "--force", container], CommandBound);
            }
            await DockerCli.RunAsync("docker", ["volume", "rm", volume], CommandBound);
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task The_image_migrates_PostgreSQL_and_stores_its_checks_there()
    {
        // The image holds both providers' migrations: a node of a cluster is this image with two settings.
        await using var postgres = await PostgresServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync();
        await using var target = await TargetServer.StartAsync();
        var work = TestPaths.NewTempDirectory("uw-image");
        var config = Path.Combine(work, "appsettings.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            UptimeWatch = new
            {
                Monitors = new object[] { new { Name = "shop", Url = target.Url("/health").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1 } },
                Storage = new { Provider = "PostgreSQL", ConnectionString = database },
            },
        }));
        var volume = $"uw-test-data-{Guid.NewGuid():N}"[..26];
        var containers = new List<string>();
        try
        {
            await DockerCli.DockerAsync(CommandBound, "volume", "create", volume);
            var (name, port) = await RunAsync(containers, volume, config);
            using var client = Client(port);

            await Eventually.Until(() => StatusAsync(client), s => s?.Monitors.SingleOrDefault()?.Status == "up", Bound,
                $"container {name} to report shop up");
            Assert.True(await PostgresServer.ScalarAsync<long>(database, "SELECT count(*) FROM check_results") > 0,
                $"no check stored in PostgreSQL: {await DescribeAsync(name)}");
        }
        finally
        {
            foreach (var container in containers)
            {
                await DockerCli.RunAsync("docker", ["rm", "--force", container], CommandBound);
            }
            await DockerCli.RunAsync("docker", ["volume", "rm", volume], CommandBound);
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// <c>docker run</c> as a user would, except: host networking bound to 127.0.0.1 (nothing listens beyond loopback)
    /// and a 2 s health check interval, so that the test does not wait the image's 30 s. The health check command,
    /// the user, the entrypoint and everything else are the image's. Returns once the app in this container listens:
    /// Kestrel says so only after binding the port, so no other process can be the one answering there. The port is
    /// given in Urls (the image's health check reads it there, so it cannot be 0); when another process took it first,
    /// the container ends with "address already in use" and a new one is run on a new port.
    /// </summary>
    private async Task<(string Name, int Port)> RunAsync(List<string> containers, string volume, string config, Func<int>? choosePort = null) =>
        await PortClash.RetryAsync("the UptimeWatch container", async () =>
        {
            var port = (choosePort ?? PortClash.Candidate)();
            var name = $"uw-test-{Guid.NewGuid():N}"[..20];
            containers.Add(name);
            await DockerCli.DockerAsync(CommandBound, "run", "--detach", "--name", name,
                "--network", "host", "-e", $"Urls=http://127.0.0.1:{port}",
                "-v", $"{volume}:/data", "-v", $"{config}:/etc/uptimewatch/appsettings.json:ro",
                "--health-interval", "2s", "--health-start-period", "120s",
                image.Tag);
            var listening = $"Now listening on: http://127.0.0.1:{port}";
            var (log, status) = await Eventually.Until(
                async () => ((await DockerCli.RunAsync("docker", ["logs", name], CommandBound)).Output, await InspectAsync(name, "{{.State.Status}}")),
                seen => seen.Item1.Contains(listening, StringComparison.Ordinal) || seen.Item2 is "exited" or "dead",
                Bound, $"container {name} to listen on 127.0.0.1:{port} or to end");
            if (!log.Contains(listening, StringComparison.Ordinal))
            {
                // The log was read before the state: a container that ended just after that read has more in its log
                // (the clash is its last words). Once it has ended, its log is complete.
                log = (await DockerCli.RunAsync("docker", ["logs", name], CommandBound)).Output;
                if (PortClash.IsReportedIn(log))
                {
                    throw new PortTakenException($"container {name} ({status}) on 127.0.0.1:{port}: {DockerCli.Tail(log, 5)}");
                }
                throw new InvalidOperationException($"container {name} ended ({status}) before it listened: {await DescribeAsync(name)}");
            }
            return (name, port);
        });

    private static HttpClient Client(int port) => new() { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };

    private static Task<string> InspectAsync(string container, string format) =>
        DockerCli.DockerAsync(CommandBound, "inspect", "--format", format, container);

    /// <summary>The container's state (health checks included) and the end of its log, for a failure message.</summary>
    private static async Task<string> DescribeAsync(string container)
    {
        var state = await DockerCli.RunAsync("docker", ["inspect", "--format", "{{json .State}}", container], CommandBound);
        var log = await DockerCli.RunAsync("docker", ["logs", container], CommandBound);
        return $"{state.Output}\n{DockerCli.Tail(log.Output)}";
    }

    /// <summary>The public status, or null while the container does not answer yet.</summary>
    private static async Task<StatusDto?> StatusAsync(HttpClient client)
    {
        try
        {
            return await client.GetFromJsonAsync<StatusDto>("/api/status");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}
