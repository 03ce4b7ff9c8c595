using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.EndToEnd;

/// <summary>Confirmation, degraded, flapping (a flag beside the status) and maintenance, through the public API of a running app.</summary>
public sealed class StateTests : IAsyncLifetime
{
    private TargetServer _target = null!;
    private readonly string _data = TestPaths.NewTempDirectory();

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    private Dictionary<string, string?> Monitor(string name, string path, params (string Field, string Value)[] extra)
    {
        var monitor = UptimeWatchApp.Monitor(name, _target.Url(path));
        foreach (var (field, value) in extra)
        {
            monitor[field] = value;
        }
        return monitor;
    }

    [Fact]
    public async Task A_failure_is_confirmed_by_early_rechecks_and_shows_pending_meanwhile()
    {
        // On a clock the test moves, with hourly slots: every check here is a "check now" or a re-check, at a known time.
        var clock = PushTesting.NewClock();
        await using var app = PushTesting.OnClock(_data, clock,
            Monitor("Api", "/health", ("IntervalSeconds", "3600"), ("TimeoutSeconds", "1"), ("FailureThreshold", "3"), ("RetryIntervalSeconds", "1")));
        using var admin = await app.SignedInAsync();
        var up = await PushTesting.CheckNowAsync(admin, "api");

        _target.Healthy = false;
        var failed = clock.GetUtcNow();
        var first = await PushTesting.CheckNowAsync(admin, "api");
        clock.Advance(TimeSpan.FromSeconds(1));
        var second = await Eventually.Until(() => app.StatusAsync(), s => s.Monitors.Single().LastCheckedAt == failed.AddSeconds(1),
            what: "the first re-check");
        clock.Advance(TimeSpan.FromSeconds(1));
        await app.WaitForStatusAsync("api", "down");

        Assert.Equal(("up", "pending", "pending"), (up.Status, first.Status, second.Monitors.Single().Status));
        var events = await app.EventsAsync();
        // Pending is not announced: the log goes straight from up to down, once confirmed.
        Assert.Equal([("unknown", "up"), ("up", "down")], events.Select(e => (e.From, e.To)));
        Assert.StartsWith("3 consecutive failures: HTTP 503", await app.AdminReasonAsync(events[1]));
        Assert.Equal(("http_status", "HTTP 503"), (events[1].Category, events[1].Reason));
        // Confirmed by the re-checks, RetryIntervalSeconds apart, long before the next hourly slot.
        var failures = (await app.ChecksAsync("api")).Where(c => c.Outcome == "down").OrderBy(c => c.At).Select(c => c.At);
        Assert.Equal([failed, failed.AddSeconds(1), failed.AddSeconds(2)], failures);
        Assert.Equal(failed.AddSeconds(2), events[1].At);
    }

    [Fact]
    public async Task A_slow_answer_is_degraded_not_down_with_its_own_event()
    {
        await using var app = new UptimeWatchApp(_data, [Monitor("Slow", "/slow?ms=400", ("MaxResponseMs", "150"), ("TimeoutSeconds", "1"))]);

        var status = await app.WaitForStatusAsync("slow", "degraded");

        Assert.Equal("degraded", status.Overall);
        var change = Assert.Single(await app.EventsAsync());
        Assert.Equal(("unknown", "degraded"), (change.From, change.To));
        Assert.Matches(@"^degraded: responded in \d+ ms, slower than MaxResponseMs \(150 ms\)$", await app.AdminReasonAsync(change));
        Assert.All(await app.ChecksAsync("slow"), c => Assert.Equal("degraded", c.Outcome));
    }

    [Fact]
    public async Task A_flapping_target_sets_the_flapping_flag_once_and_its_status_keeps_following_the_checks()
    {
        await using var app = new UptimeWatchApp(_data, [Monitor("Flappy", "/health", ("FailureThreshold", "1"))]);
        await app.WaitForStatusAsync("flappy", "up");

        // Every check sees the opposite of the one before (driven by the checks, not a clock).
        using var alternating = _target.Alternate();
        try
        {
            await Eventually.Until(app.StatusAsync, s => s.Monitors.Single().Flapping, TimeSpan.FromSeconds(25), "flappy to be flapping");
            var atStart = await app.EventsAsync();
            var later = await Eventually.Until(() => app.EventsAsync(), e => e.Count >= atStart.Count + 2, TimeSpan.FromSeconds(15),
                "more status changes while it flaps");

            // The flag is set once, by an event of its own or with a change; the status is never "flapping".
            var started = Assert.Single(later.Zip(later.Skip(1)), p => !p.First.Flapping && p.Second.Flapping).Second;
            Assert.StartsWith("flapping: ", await app.AdminReasonAsync(started));
            Assert.All(later, e => Assert.Contains(e.To, new[] { "up", "down" }));
            // Up and down keep being logged with the flag set: the status follows the checks.
            Assert.All(later.SkipWhile(e => e.Id <= started.Id), e => Assert.True(e.Flapping && e.From != e.To, e.ToString()));
        }
        finally
        {
            alternating.Dispose();
        }
    }

    [Fact]
    public async Task Maintenance_holds_back_the_down_event_until_the_window_ends()
    {
        _target.Healthy = false;
        // Long enough that a slow start still sees the window (the app must start, check and answer inside it).
        var end = DateTimeOffset.UtcNow.AddSeconds(10);
        await using var app = new UptimeWatchApp(_data,
        [
            Monitor("Db", "/health", ("FailureThreshold", "1"),
                ("Maintenance:0:Start", DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O")), ("Maintenance:0:End", end.ToString("O"))),
        ]);

        await app.WaitForStatusAsync("db", "maintenance");
        var during = await app.EventsAsync();
        await app.WaitForStatusAsync("db", "down", TimeSpan.FromSeconds(40));
        var events = await app.EventsAsync();

        Assert.Equal([("unknown", "maintenance")], during.Select(e => (e.From, e.To)));
        Assert.StartsWith("maintenance window until ", await app.AdminReasonAsync(during[0]));
        Assert.Equal([("unknown", "maintenance"), ("maintenance", "down")], events.Select(e => (e.From, e.To)));
        Assert.StartsWith("maintenance ended; ", await app.AdminReasonAsync(events[1]));
        Assert.True(events[1].At >= end);
        // Checks kept running and were stored during the window.
        Assert.Contains(await app.ChecksAsync("db"), c => c.Outcome == "down" && c.At < end);
    }

    [Fact]
    public async Task A_restart_during_confirmation_resumes_the_count_without_spurious_events()
    {
        var monitor = Monitor("Web", "/health", ("FailureThreshold", "3"), ("IntervalSeconds", "2"), ("TimeoutSeconds", "1"));
        await using (var first = new UptimeWatchApp(_data, [monitor]))
        {
            await first.WaitForStatusAsync("web", "up");
            _target.Healthy = false;
            await first.WaitForStatusAsync("web", "pending");
        }
        var persistedFailures = StoredFailures();
        Assert.InRange(persistedFailures, 1, 2);
        var restartedAt = DateTimeOffset.UtcNow;

        await using var second = new UptimeWatchApp(_data, [monitor]);
        // The count was restored, not reset: pending still, or down already if the third failure came first (a
        // loaded machine can take longer than the 2 s interval to answer); the count is checked below either way.
        Assert.Contains((await second.StatusAsync()).Monitors.Single().Status, new[] { "pending", "down" });
        await second.WaitForStatusAsync("web", "down", TimeSpan.FromSeconds(20));

        var events = await second.EventsAsync();
        Assert.Equal([("unknown", "up"), ("up", "down")], events.Select(e => (e.From, e.To)));
        var failuresAfterRestart = (await second.ChecksAsync("web")).Count(c => c.Outcome == "down" && c.At >= restartedAt && c.At <= events[1].At);
        Assert.Equal(3 - persistedFailures, failuresAfterRestart);
    }

    private int StoredFailures()
    {
        using var db = TestStorage.OpenDatabase(_data);
        return db.Monitors.Where(m => m.Slug == "web").Select(m => m.ConsecutiveFailures).Single();
    }
}
