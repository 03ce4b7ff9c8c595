using System.Net;
using System.Net.Http.Json;
using UptimeWatch.Storage;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Scheduling;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.EndToEnd;

/// <summary>The whole pipeline in-process: config → Quartz → probe → SQLite → read API, on a real database file.</summary>
public sealed class StatusApiTests : IAsyncLifetime
{
    private TargetServer _target = null!;
    private readonly string _data = TestPaths.NewTempDirectory();

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    [Fact]
    public async Task A_target_that_goes_down_and_comes_back_shows_exactly_those_two_changes()
    {
        await using var app = new UptimeWatchApp(_data, [UptimeWatchApp.Monitor("Shop", _target.Url("/health"))]);
        await app.WaitForStatusAsync("shop", "up");
        var firstVerdict = Assert.Single(await app.EventsAsync());
        Assert.Equal(("unknown", "up"), (firstVerdict.From, firstVerdict.To));

        _target.Healthy = false;
        var down = await app.WaitForStatusAsync("shop", "down");
        Assert.Equal("down", down.Overall);
        _target.Healthy = true;
        var up = await app.WaitForStatusAsync("shop", "up");

        var changes = await app.EventsAsync(after: firstVerdict.Id);
        Assert.Equal([("up", "down"), ("down", "up")], changes.Select(e => (e.From, e.To)));
        Assert.All(changes, e => Assert.Equal(("shop", "Shop"), (e.Monitor, e.Name)));
        Assert.True(changes[0].Id < changes[1].Id);
        var reasons = await app.AdminReasonsAsync(changes);
        Assert.Equal("2 consecutive failures: HTTP 503 Service Unavailable, expected 200-299", reasons[changes[0].Id]);
        Assert.StartsWith("1 consecutive success: HTTP 200 in ", reasons[changes[1].Id]);
        Assert.Equal(("http_status", "HTTP 503"), (changes[0].Category, changes[0].Reason));

        Assert.Equal("up", up.Overall);
        var shop = Assert.Single(up.Monitors);
        Assert.NotNull(shop.LastCheckedAt);
        Assert.NotNull(shop.LastResponseMs);
        Assert.InRange(shop.Uptime24h!.Value, 1, 99.999);

        var checks = await app.ChecksAsync("shop");
        Assert.Contains(checks, c => c is { Outcome: "down", Status: 503 });
        Assert.Equal(checks.OrderByDescending(c => c.At).Select(c => c.At), checks.Select(c => c.At));
    }

    [Fact]
    public async Task Private_monitors_are_probed_but_never_shown()
    {
        await using var app = new UptimeWatchApp(_data,
        [
            UptimeWatchApp.Monitor("Public site", _target.Url("/ok")),
            UptimeWatchApp.Monitor("Internal admin", _target.Url("/ok"), isPublic: false),
        ]);
        await app.WaitForStatusAsync("public-site", "up");
        await WaitForChecksInDatabase(app, "internal-admin");

        var status = await app.StatusAsync();
        Assert.Equal(["public-site"], status.Monitors.Select(m => m.Slug));
        Assert.DoesNotContain(await app.EventsAsync(), e => e.Monitor == "internal-admin");
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/monitors/internal-admin/checks")).StatusCode);
    }

    [Fact]
    public async Task A_monitor_removed_from_config_is_archived_with_its_history_and_state_survives_a_restart()
    {
        await using (var first = new UptimeWatchApp(_data,
                     [UptimeWatchApp.Monitor("Keep", _target.Url("/ok")), UptimeWatchApp.Monitor("Drop", _target.Url("/ok"))]))
        {
            await first.WaitForStatusAsync("keep", "up");
            await first.WaitForStatusAsync("drop", "up");
        }
        var dropChecks = CountChecks(_data, "drop");
        Assert.True(dropChecks > 0);

        await using var second = new UptimeWatchApp(_data, [UptimeWatchApp.Monitor("Keep", _target.Url("/ok"))]);
        var status = await second.StatusAsync();

        // Straight after the restart, before any new check: the stored verdict, not "unknown".
        Assert.Equal([("keep", "up")], status.Monitors.Select(m => (m.Slug, m.Status)));
        using var client = second.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/monitors/drop/checks")).StatusCode);
        // That nothing checks it cannot be waited for: wait instead until the kept monitor has three more checks
        // (three more 1 s slots have run), then count the archived one's.
        var keepChecks = CountChecks(_data, "keep");
        await Eventually.Until(() => Task.FromResult(CountChecks(_data, "keep")), n => n >= keepChecks + 3, TimeSpan.FromSeconds(30),
            "three more checks of keep");
        Assert.Equal(dropChecks, CountChecks(_data, "drop"));
        // The archived monitor has no job left to remove: start-up scheduled exactly the active ones.
        Assert.Equal((0, 0, 0), await second.Services.GetRequiredService<ScheduleReconciler>().ReconcileAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Reconciling_again_changes_nothing()
    {
        await using var app = new UptimeWatchApp(_data, [UptimeWatchApp.Monitor("A", _target.Url("/ok")), UptimeWatchApp.Monitor("B", _target.Url("/ok"))]);
        await app.WaitForStatusAsync("a", "up");
        var reconciler = app.Services.GetRequiredService<ScheduleReconciler>();

        Assert.Equal((0, 0, 0), await reconciler.ReconcileAsync(CancellationToken.None));
        Assert.Equal((0, 0, 0), await reconciler.ReconcileAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Slots_that_cannot_run_are_recorded_as_missed_with_a_reason()
    {
        // One check at a time, two monitors that each take most of their 1 s interval: half the slots cannot run.
        await using var app = new UptimeWatchApp(_data,
            [UptimeWatchApp.Monitor("Slow one", _target.Url("/slow?ms=800")), UptimeWatchApp.Monitor("Slow two", _target.Url("/slow?ms=800"))],
            new() { ["UptimeWatch:Scheduler:MaxConcurrency"] = "1" });

        var checks = await Eventually.Until(
            async () => (await app.ChecksAsync("slow-one")).Concat(await app.ChecksAsync("slow-two")).ToList(),
            all => all.Any(c => c.Outcome == "missed"), TimeSpan.FromSeconds(20), "a missed slot");

        var missed = checks.First(c => c.Outcome == "missed");
        Assert.Null(missed.ResponseMs);
        Assert.Equal(("missed", "not checked"), (missed.Category, missed.Error));
        // Why it was missed is stored with the slot (the public sees only "not checked").
        // With one check at a time a slot is missed either behind its own monitor's check or behind the other
        // monitor's (all slots busy); which one depends on how the two interleave, so either exact text is right, and
        // nothing else is (the write queue was never full).
        var stored = (await app.StoredChecksAsync("slow-one")).Concat(await app.StoredChecksAsync("slow-two")).ToList();
        string[] reasons =
        [
            "missed: the previous check was still running",
            "missed: the scheduler was late (all check slots busy or the process was paused)",
        ];
        Assert.Contains(stored.First(c => c.Outcome == "missed" && c.At == missed.At).Error, reasons);
        Assert.All(stored.Where(c => c.Outcome == "missed"), c => Assert.Contains(c.Error, reasons));
        Assert.Contains(checks, c => c.Outcome == "up");
    }

    [Fact]
    public async Task Bad_query_parameters_get_an_error_naming_the_parameter_and_value()
    {
        await using var app = new UptimeWatchApp(_data, [UptimeWatchApp.Monitor("A", _target.Url("/ok"))]);
        using var client = app.CreateClient();

        var response = await client.GetAsync("/api/events?limit=5000");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<Dictionary<string, object>>();
        Assert.Equal("limit \"5000\" must be from 1 to 1000", problem!["error"].ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/monitors/nope/checks")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/monitors/a/checks?limit=0")).StatusCode);
    }

    [Fact]
    public async Task Healthz_reports_process_database_and_scheduler_and_openapi_describes_the_api()
    {
        await using var app = new UptimeWatchApp(_data, []);
        using var client = app.CreateClient();

        var health = await Eventually.Until(() => client.GetAsync("/healthz"), r => r.IsSuccessStatusCode, what: "healthz 200");
        var body = await health.Content.ReadAsStringAsync();
        Assert.Contains("\"status\":\"healthy\"", body);
        Assert.Contains("\"database\"", body);
        Assert.Contains("\"scheduler\"", body);

        var openApi = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("\"/api/status\"", openApi);
        Assert.Contains("\"/api/monitors/{slug}/checks\"", openApi);
        Assert.Contains("\"/api/events\"", openApi);
    }

    private static async Task WaitForChecksInDatabase(UptimeWatchApp app, string slug) =>
        await Eventually.Until(() => Task.FromResult(CountChecks(app.DataDirectory, slug)), n => n > 0, what: $"checks of {slug}");

    private static long CountChecks(string dataDirectory, string slug)
    {
        using var db = TestStorage.OpenDatabase(dataDirectory);
        return db.CheckResults.LongCount(c => db.Monitors.Any(m => m.Id == c.MonitorId && m.Slug == slug));
    }
}
