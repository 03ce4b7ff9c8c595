using UptimeWatch.Tests.EndToEnd;

namespace UptimeWatch.Tests.Operations;

/// <summary>SIGTERM, as systemd and Docker send it, while checks are running.</summary>
[Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
public sealed class ShutdownTests
{
    [Fact]
    public async Task SIGTERM_under_load_loses_no_completed_check_and_starts_no_new_one()
    {
        await using var target = await TargetServer.StartAsync();
        var work = TestPaths.NewTempDirectory();
        // Target paths are the monitors' slugs. 30 quick monitors and 10 whose target takes 1 s: at any moment some checks are half-way through.
        // Every answer comes far inside its check's timeout (a 1.5 s answer with a 2 s timeout once came too late on a
        // loaded machine): a check that gives up while the target still answers is a stored "down" for a counted answer.
        var monitors = Enumerable.Range(1, 30)
            .Select(i => new { Name = $"fast {i}", Url = target.Url($"/counted/fast-{i}").ToString(), IntervalSeconds = 2, TimeoutSeconds = 2 })
            .Concat(Enumerable.Range(1, 10)
                .Select(i => new { Name = $"slow {i}", Url = target.Url($"/counted/slow-{i}?ms=1000").ToString(), IntervalSeconds = 4, TimeoutSeconds = 4 }))
            .ToList();
        var config = ServingProcess.WriteConfig(work, monitors);
        // A cold target can take over a second for its first answers; a check that gives up at its 1 s deadline while
        // the target still answers would be a stored "down" for an answer the target counted. Warm it up first.
        using (var warm = new HttpClient())
        {
            for (var i = 0; i < 5; i++)
            {
                (await warm.GetAsync(target.Url("/counted/warm-up"))).EnsureSuccessStatusCode();
            }
        }
        var (host, client) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = client;

        await Eventually.Until(() => Task.FromResult(Enumerable.Range(1, 10).Min(i => target.Served($"slow-{i}"))), n => n >= 2,
            TimeSpan.FromSeconds(60), "every slow monitor to be checked twice");
        await Eventually.Until(() => Task.FromResult(target.InFlight), n => n >= 3, TimeSpan.FromSeconds(30), "checks in flight");
        host.SendSigterm();
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var servedAtExit = monitors.ToDictionary(m => Slug(m.Url), m => target.Served(Slug(m.Url)));
        // The process is gone, so its last requests are already at the target: once the target has answered one of
        // ours sent after the exit and has nothing left in flight, any request it was going to see has been counted.
        using (var after = new HttpClient())
        {
            (await after.GetAsync(target.Url("/counted/after-exit"))).EnsureSuccessStatusCode();
        }
        await Eventually.Until(() => Task.FromResult(target.InFlight), n => n == 0, TimeSpan.FromSeconds(30), "the target to have nothing in flight");

        Assert.Equal(0, exitCode);
        // Nothing was started after the process ended: the target saw no new request.
        Assert.Equal(servedAtExit, monitors.ToDictionary(m => Slug(m.Url), m => target.Served(Slug(m.Url))));
        using var db = ServingProcess.Open(Path.Combine(work, "data", "uptimewatch.db"));
        var stored = ServingProcess.ChecksBySlug(db, outcome: 1);
        var down = ServingProcess.ChecksBySlug(db, outcome: 2);
        // Every answer the target gave is a stored "up" check: the ones that were in flight at SIGTERM included.
        foreach (var (name, served) in servedAtExit)
        {
            Assert.True(stored.GetValueOrDefault(name) == served,
                $"{name}: the target answered {served} checks, the database has {stored.GetValueOrDefault(name)} up and {down.GetValueOrDefault(name)} down");
        }
        Assert.Contains("Application is shutting down", host.Stdout + host.Stderr);
    }

    [Fact]
    public async Task A_check_still_running_when_the_grace_period_ends_is_cut_short_and_the_finished_ones_are_still_stored()
    {
        await using var target = await TargetServer.StartAsync();
        var work = TestPaths.NewTempDirectory();
        var monitors = new object[]
        {
            new { Name = "quick", Url = target.Url("/counted/quick").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1 },
            // A target that never answers within the check's 10 s timeout: without a bound on the stop, the process would
            // wait for that timeout (with a long one, until systemd or Docker kills it) and then store a "down".
            new { Name = "glacial", Url = target.Url("/counted/glacial?ms=60000").ToString(), IntervalSeconds = 10, TimeoutSeconds = 10 },
        };
        var config = ServingProcess.WriteConfig(work, monitors, new { Scheduler = new { ShutdownTimeoutSeconds = 2 } });
        var (host, client) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = client;
        await Eventually.Until(() => Task.FromResult(target.Served("quick")), n => n >= 3, TimeSpan.FromSeconds(60), "quick checks");
        await Eventually.Until(() => Task.FromResult(target.InFlight), n => n >= 1, TimeSpan.FromSeconds(30), "the glacial check in flight");

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        host.SendSigterm();
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
        stopping.Stop();
        var quickServed = target.Served("quick");

        Assert.Equal(0, exitCode);
        // It waited the grace period for the running check (a lower bound: no upper bound on a loaded machine). That it
        // did not wait for the check's own 10 s timeout shows in the log line and in no stored check for glacial below.
        Assert.True(stopping.Elapsed >= TimeSpan.FromSeconds(2), $"the stop took {stopping.Elapsed.TotalSeconds:0.0} s, less than the 2 s grace period");
        Assert.Contains("The check of glacial was still running when the shutdown grace period ended", host.Stdout + host.Stderr);
        using var db = ServingProcess.Open(Path.Combine(work, "data", "uptimewatch.db"));
        var stored = ServingProcess.ChecksBySlug(db, outcome: 1);
        Assert.Equal(quickServed, stored.GetValueOrDefault("quick"));
        // SIGTERM came while its first check was running: that check was cut short, so nothing of it is stored.
        Assert.Equal(0, ServingProcess.Scalar(db, "SELECT count(*) FROM check_results c JOIN monitors m ON m.Id = c.MonitorId WHERE m.Slug = 'glacial' AND c.Outcome <> 3"));
    }

    private static string Slug(string url) => new Uri(url).AbsolutePath["/counted/".Length..];
}
