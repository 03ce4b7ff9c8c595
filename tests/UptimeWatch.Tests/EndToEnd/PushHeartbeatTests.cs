using System.Net;
using System.Net.Http.Json;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.EndToEnd;

/// <summary>What a cron job sees when it calls its push URL, and what the status API then shows.</summary>
public sealed class PushHeartbeatTests
{
    private readonly string _data = TestPaths.NewTempDirectory();

    // Long enough that no deadline passes during a test: only the heartbeats themselves count here.
    private static Dictionary<string, string?> Patient(int? failureThreshold = 1) =>
        PushTesting.Monitor(intervalSeconds: 600, graceSeconds: 600, failureThreshold: failureThreshold);

    [Fact]
    public async Task A_heartbeat_turns_a_push_monitor_up()
    {
        await using var app = new UptimeWatchApp(_data, [Patient()]);

        var reply = await PushTesting.HeartbeatAsync(app);

        Assert.Equal(new PushReply(true, "nightly-backup", "up"), reply);
        await app.WaitForStatusAsync("nightly-backup", "up", TimeSpan.FromSeconds(10));
        var change = Assert.Single(await app.EventsAsync());
        Assert.Equal(("unknown", "up", "1 consecutive success: heartbeat received"), (change.From, change.To, await app.AdminReasonAsync(change)));
    }

    [Fact]
    public async Task Get_and_post_both_record_a_heartbeat()
    {
        await using var app = new UptimeWatchApp(_data, [Patient()]);

        var get = await PushTesting.HeartbeatAsync(app);
        var post = await PushTesting.HeartbeatAsync(app, post: true);

        Assert.Equal(("up", "up"), (get.Status, post.Status));
        var checks = await PushTesting.WaitForChecksAsync(app, 2);
        Assert.Equal(["up", "up"], checks.Select(c => c.Outcome));
    }

    [Fact]
    public async Task A_heartbeat_is_answered_once_stored_even_while_routine_checks_wait_for_the_write_window()
    {
        await using var app = new UptimeWatchApp(_data, [Patient()],
            new() { ["UptimeWatch:Storage:WriteWindowMilliseconds"] = "1000" });

        var stored = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            await PushTesting.HeartbeatAsync(app);
            // No waiting: the sender's next look must already find it.
            stored.Add((await app.ChecksAsync("nightly-backup")).Count);
        }

        Assert.Equal([1, 2, 3], stored);
    }

    [Fact]
    public async Task The_reported_duration_is_stored_as_the_response_time_and_the_message_with_the_check()
    {
        await using var app = new UptimeWatchApp(_data, [Patient()]);

        await PushTesting.HeartbeatAsync(app, "?status=up&msg=backup%20ok&ms=1234");
        await PushTesting.HeartbeatAsync(app);

        var checks = await PushTesting.WaitForChecksAsync(app, 2);
        Assert.Equal([(null, null), (1234, null)], checks.Select(c => (c.ResponseMs, c.Error)));
        // The message is stored with the check; the public never sees it.
        Assert.Equal([null, "backup ok"], (await app.StoredChecksAsync("nightly-backup")).Select(c => c.Error));
        // Without a duration there is none to show, rather than a made-up 0 ms.
        Assert.Null(Assert.Single((await app.StatusAsync()).Monitors).LastResponseMs);
    }

    [Fact]
    public async Task A_job_that_reports_down_is_down_with_its_message_once_the_failure_threshold_is_reached()
    {
        // The default FailureThreshold (2) applies to reports as to any failed check.
        await using var app = new UptimeWatchApp(_data, [Patient(failureThreshold: null)]);
        await PushTesting.HeartbeatAsync(app);

        var first = await PushTesting.HeartbeatAsync(app, "?status=down&msg=disk%20full");
        var second = await PushTesting.HeartbeatAsync(app, "?status=down&msg=disk%20full", post: true);

        Assert.Equal(("pending", "down"), (first.Status, second.Status));
        await app.WaitForStatusAsync("nightly-backup", "down", TimeSpan.FromSeconds(10));
        var events = await app.EventsAsync();
        Assert.Equal([("unknown", "up"), ("up", "down")], events.Select(e => (e.From, e.To)));
        Assert.Equal("2 consecutive failures: reported down: disk full", await app.AdminReasonAsync(events[1]));
        Assert.Equal(("reported_down", "reported down"), (events[1].Category, events[1].Reason));
        var latest = (await app.ChecksAsync("nightly-backup"))[0];
        Assert.Equal(("down", "reported_down", "reported down"), (latest.Outcome, latest.Category, latest.Error));
        var stored = (await app.StoredChecksAsync("nightly-backup"))[0];
        Assert.Equal(("down", "reported down: disk full"), (stored.Outcome, stored.Error));
    }

    [Fact]
    public async Task An_unknown_or_malformed_token_gets_a_404_that_names_no_monitor()
    {
        await using var app = new UptimeWatchApp(_data, [Patient()]);

        foreach (var token in new[] { "nightly-backup-0123456789abcdeX", "nightly", new string('a', 300) })
        {
            using var response = await PushTesting.SendAsync(app, token: token);

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("No push monitor has this URL", (await response.Content.ReadFromJsonAsync<Problem>())!.Error);
        }
        await PushTesting.HeartbeatAsync(app, "?msg=the%20real%20one");
        await PushTesting.WaitForChecksAsync(app, 1);
        Assert.Equal(["the real one"], (await app.StoredChecksAsync("nightly-backup")).Select(c => c.Error));
    }

    [Fact]
    public async Task A_bad_status_or_duration_gets_a_400_naming_the_parameter_and_records_nothing()
    {
        await using var app = new UptimeWatchApp(_data, [Patient()]);

        using var badStatus = await PushTesting.SendAsync(app, "?status=ok");
        using var badMs = await PushTesting.SendAsync(app, "?ms=-5", post: true);

        Assert.Equal(HttpStatusCode.BadRequest, badStatus.StatusCode);
        var statusProblem = (await badStatus.Content.ReadFromJsonAsync<Problem>())!;
        Assert.Equal("status \"ok\" must be up or down", statusProblem.Error);
        Assert.Equal(["status"], statusProblem.Fields!.Keys);
        Assert.Equal(HttpStatusCode.BadRequest, badMs.StatusCode);
        Assert.StartsWith("ms \"-5\" must be a whole number of milliseconds", (await badMs.Content.ReadFromJsonAsync<Problem>())!.Error);
        await PushTesting.HeartbeatAsync(app, "?msg=the%20good%20one");
        await PushTesting.WaitForChecksAsync(app, 1);
        Assert.Equal(["the good one"], (await app.StoredChecksAsync("nightly-backup")).Select(c => c.Error));
    }

    [Fact]
    public async Task A_report_posted_in_a_form_body_is_refused_rather_than_taken_for_an_up_heartbeat()
    {
        await using var app = new UptimeWatchApp(_data, [Patient()]);
        using var client = app.CreateClient();

        // What `curl -d "status=down&msg=disk full" <url>` sends.
        using var response = await client.PostAsync($"/api/push/{PushTesting.Token}",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["status"] = "down", ["msg"] = "disk full" }));
        // A log posted as the body is fine, and ignored.
        using var log = await client.PostAsync($"/api/push/{PushTesting.Token}?status=up", new StringContent("backup finished\n12 GB written"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("status \"down\" must be in the query string (/api/push/<token>?status=…), not in the request body",
            (await response.Content.ReadFromJsonAsync<Problem>())!.Error);
        Assert.Equal(HttpStatusCode.OK, log.StatusCode);
        Assert.Equal(["up"], (await PushTesting.WaitForChecksAsync(app, 1)).Select(c => c.Outcome));
    }

    [Fact]
    public async Task A_long_message_is_cut_to_500_characters_and_the_reply_is_never_cached()
    {
        await using var app = new UptimeWatchApp(_data, [Patient()]);

        using var response = await PushTesting.SendAsync(app, "?status=down&msg=" + new string('x', 2000));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var check = Assert.Single(await PushTesting.WaitForChecksAsync(app, 1));
        Assert.Equal(("reported_down", "reported down"), (check.Category, check.Error));
        Assert.Equal("reported down: " + new string('x', 499) + "…", Assert.Single(await app.StoredChecksAsync("nightly-backup")).Error);
    }

    [Fact]
    public async Task On_time_heartbeats_are_the_whole_history_scheduled_slots_add_no_rows()
    {
        var clock = PushTesting.NewClock();
        await using var app = PushTesting.OnClock(_data, clock, PushTesting.Monitor(intervalSeconds: 1, graceSeconds: 1));
        using var admin = await app.SignedInAsync();
        await PushTesting.CheckNowAsync(admin);

        // Four seconds of heartbeats every half second, while the 1 s slots come and go.
        const int sent = 8;
        for (var i = 0; i < sent; i++)
        {
            await PushTesting.HeartbeatAsync(app);
            clock.Advance(TimeSpan.FromMilliseconds(500));
        }
        // Runs after any slot still under way (a monitor's looks never overlap), and is one more look itself.
        var look = await PushTesting.CheckNowAsync(admin);

        Assert.Equal((false, "up"), (look.Recorded, look.Status));
        var checks = await PushTesting.WaitForChecksAsync(app, sent);
        Assert.Equal(sent, checks.Count);
        Assert.All(checks, c => Assert.Equal("up", c.Outcome));
        Assert.Equal(100, Assert.Single((await app.StatusAsync()).Monitors).Uptime24h);
        Assert.Single(await app.EventsAsync());
    }
}
