using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using UptimeWatch.Alerting;
using UptimeWatch.Tests.AdminConsole;
using UptimeWatch.Journal;

namespace UptimeWatch.Tests.Alerting;

/// <summary>
/// Alerts through the outbox to a real webhook receiver on 127.0.0.1: retries, a receiver that is down across a restart,
/// order, signatures, flapping and reminders — what a user notices as "the alert arrived, once". The reminder tests run
/// the dispatcher on a fake clock (five minutes ahead of real time, so what the writer queues is due at once) and move
/// it by the hour instead of waiting.
/// </summary>
public sealed class DeliveryTests : IAsyncLifetime
{
    private HookedTarget _hooked = null!;

    public async Task InitializeAsync() => _hooked = await HookedTarget.StartAsync();

    public async Task DisposeAsync() => await _hooked.DisposeAsync();

    private Dictionary<string, string?> Settings(params (string Key, string Value)[] extra) =>
        _hooked.Settings([("Alerting:Delivery:FirstRetrySeconds", "1"), ("Alerting:Delivery:MaxRetrySeconds", "1"), .. extra]);

    /// <summary>An app whose notification dispatcher runs on <paramref name="clock"/>.</summary>
    private static UptimeWatchApp OnClock(FakeTimeProvider clock, string data, IEnumerable<Dictionary<string, string?>> monitors,
        Dictionary<string, string?> settings) => new(data, monitors, settings)
    {
        TestServices = DispatcherClock.Use(clock),
    };

    private Dictionary<string, string?> Monitor(int failureThreshold = 1) => UptimeWatchApp.Monitor("Checkout", _hooked.Target.Url("/health"), failureThreshold);

    [Fact]
    public async Task A_receiver_that_refuses_at_first_gets_the_alert_after_retries_and_every_attempt_is_recorded()
    {
        _hooked.Receiver.FailNext(2);
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [Monitor()], Settings());
        using var console = await app.SignedInAsync();

        _hooked.Target.Healthy = false;
        var delivered = await _hooked.Receiver.AcceptedAsync(d => d.Count >= 1, "the down alert");
        var notification = await Eventually.Until(
            async () => (await console.GetFromJsonAsync<JsonObject>("/api/admin/notifications"))!["notifications"]!.AsArray()[0]!,
            n => n["state"]!.GetValue<string>() == "sent", TimeSpan.FromSeconds(60), "the outbox to say sent");

        var down = Assert.Single(delivered);
        Assert.Equal(("down", "checkout", true), (down.Event, down.Node["monitor"]!["slug"]!.GetValue<string>(), down.SignatureValid == true));
        Assert.Equal(3, _hooked.Receiver.Received.Count);
        var attempts = notification["attemptLog"]!.AsArray();
        Assert.Equal([503, 503, 200], attempts.Select(a => a!["statusCode"]!.GetValue<int>()));
        Assert.Equal([false, false, true], attempts.Select(a => a!["delivered"]!.GetValue<bool>()));
        Assert.Equal(down.Key, notification["key"]!.GetValue<string>());
        // The admin list names the monitor by slug, and what it is about by the monitor's name.
        Assert.Equal(("checkout", "Checkout"), ((string?)notification["monitor"], (string?)notification["subject"]));
    }

    [Fact]
    public async Task Alerts_raised_while_the_receiver_is_down_arrive_once_and_in_order_after_a_restart_of_both()
    {
        var data = TestPaths.NewTempDirectory();
        await _hooked.Receiver.StopAsync();
        await using (var first = new UptimeWatchApp(data, [Monitor()], Settings()))
        {
            _hooked.Target.Healthy = false;
            await first.WaitForStatusAsync("checkout", "down");
            using var console = await first.SignedInAsync();
            // Tried and refused (connection refused), still pending when UptimeWatch stops.
            await Eventually.Until(async () => (await console.GetFromJsonAsync<JsonObject>("/api/admin/notifications"))!["notifications"]!.AsArray(),
                n => n.Count == 1 && n[0]!["attempts"]!.GetValue<int>() >= 1, TimeSpan.FromSeconds(60), "a failed attempt");
        }

        _hooked.Target.Healthy = true;
        await using var second = new UptimeWatchApp(data, [Monitor()], Settings());
        await second.WaitForStatusAsync("checkout", "up");
        await _hooked.Receiver.RestartAsync();
        var delivered = await _hooked.Receiver.AcceptedAsync(d => d.Count >= 2, "both notifications");
        await SettledAsync(second);

        Assert.Equal(["down", "recovered"], _hooked.Receiver.Accepted.Select(d => d.Event));
        Assert.Equal(delivered[0].Node["incidentId"]!.GetValue<long>(), delivered[1].Node["incidentId"]!.GetValue<long>());
        Assert.All(delivered, d => Assert.True(d.SignatureValid));
    }

    [Fact]
    public async Task A_flapping_monitor_sends_one_flapping_notice_and_then_nothing_while_it_flaps()
    {
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [Monitor()], Settings());
        using var console = await app.SignedInAsync();
        await app.WaitForStatusAsync("checkout", "up");

        using var alternating = _hooked.Target.Alternate();
        try
        {
            await Eventually.Until(app.StatusAsync, s => s.Monitors.Single().Flapping, TimeSpan.FromSeconds(60), "checkout to be flapping");
            await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "flapping.started"), "the flapping notice");
            var flagged = (await app.EventsAsync()).Count;
            // Its status keeps changing up and down (each change logged) ...
            await Eventually.Until(() => app.EventsAsync(), e => e.Count >= flagged + 3, TimeSpan.FromSeconds(60), "status changes while it flaps");
            // ... and whatever those changes queued has gone out (the writer queues with the change).
            await OutboxSentAsync(console);
            var delivered = _hooked.Receiver.Accepted;
            var events = delivered.Select(d => d.Event).ToList();
            var alerts = await AlertsAsync(console);

            // Until the flag: each down alerted and each recovery too (one failure is a down). Then the flapping notice,
            // after a down whose alert stays open (the check that set the flag was that down, or an up that did not
            // resolve it) ... and none of the changes since is notified.
            Assert.Equal("flapping.started", events[^1]);
            Assert.Equal(Enumerable.Range(0, events.Count - 1).Select(i => i % 2 == 0 ? "down" : "recovered"), events[..^1]);
            Assert.Equal("down", events[^2]);
            var open = Assert.Single(alerts, a => a!["state"]!.GetValue<string>() == "open");
            Assert.Equal(open!["id"]!.GetValue<long>(), delivered[^1].Node["incidentId"]!.GetValue<long>());
            Assert.Equal(open["id"]!.GetValue<long>(), delivered[^2].Node["incidentId"]!.GetValue<long>());
        }
        finally
        {
            alternating.Dispose();
        }
    }

    [Fact]
    public async Task A_flapping_monitor_that_then_fails_steadily_sends_exactly_one_down_alert_at_once_while_still_flagged_flapping()
    {
        // Three failures confirm a down: flips every second move the verdicts (and set the flag) but not the status.
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [Monitor(failureThreshold: 3)], Settings());
        using var console = await app.SignedInAsync();
        await app.WaitForStatusAsync("checkout", "up");
        await FlipUntilFlaggedAsync(app);

        // Then it fails on every check: down after FailureThreshold failures, and alerted then, flag or no flag.
        _hooked.Target.Healthy = false;
        var delivered = await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "down"), "the down alert");
        await Eventually.Until(app.StatusAsync, s => s.Monitors.Single() is { Status: "down", Flapping: false }, TimeSpan.FromSeconds(60),
            "checkout to stop flapping");
        var alerts = (await console.GetFromJsonAsync<JsonObject>("/api/admin/alerts"))!["alerts"]!.AsArray();
        // Anything else that was going to be queued by now has been: the writer queues with the status change.
        await OutboxSentAsync(console);
        var events = await app.EventsAsync();

        // One flapping notice, the down at once, and the notice that it settled (down, its alert still open): nothing else.
        Assert.Equal(["flapping.started", "down", "flapping.stopped"], _hooked.Receiver.Accepted.Select(d => d.Event));
        var down = delivered.Single(d => d.Event == "down");
        Assert.Equal("down", down.Node["status"]!.GetValue<string>());
        // Sent for the change to down itself (within FailureThreshold failures), which was still flagged flapping:
        // not held until the flag cleared.
        var wentDown = Assert.Single(events, e => e.To == "down" && e.From != "down");
        Assert.True(wentDown.Flapping, "the change to down was flagged flapping");
        // (The event log keeps milliseconds.)
        Assert.Equal(wentDown.At.ToUnixTimeMilliseconds(), down.Node["at"]!.GetValue<DateTimeOffset>().ToUnixTimeMilliseconds());
        var cleared = Assert.Single(events, e => e.To == "down" && e.From == "down" && !e.Flapping);
        Assert.True(wentDown.At < cleared.At);
        var alert = Assert.Single(alerts);
        Assert.Equal(("down", "open"), (alert!["kind"]!.GetValue<string>(), alert["state"]!.GetValue<string>()));
        Assert.Equal(alert["id"]!.GetValue<long>(), down.Node["incidentId"]!.GetValue<long>());
    }

    [Fact]
    public async Task An_alert_kept_open_while_the_monitor_is_up_and_flapping_gets_no_reminder()
    {
        var settings = Settings(("Alerting:Defaults:RemindEveryMinutes", "10"));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(5));
        // A steadily down monitor beside it (a port held bound and not listening refuses every check): its reminder
        // shows when a reminder pass has run.
        using var closed = ClosedPort.Take();
        var broken = UptimeWatchApp.Monitor("Broken", new Uri($"http://127.0.0.1:{closed.Port}/health"), failureThreshold: 1);
        await using var app = OnClock(clock, TestPaths.NewTempDirectory(), [Monitor(), broken], settings);
        using var console = await app.SignedInAsync();
        await app.WaitForStatusAsync("checkout", "up");
        await app.WaitForStatusAsync("broken", "down");

        // Flipping, with its alert open (raised by a down while flagged, kept open by the ups since) ...
        await FlipUntilFlaggedAsync(app, () => AlertsAsync(console), a => a.Any(x => x!["monitor"]!.GetValue<string>() == "checkout" && x["state"]!.GetValue<string>() == "open"));
        // ... and then up, still flagged: recovery is held back, so the alert stays open.
        _hooked.Target.Healthy = true;
        await Eventually.Until(app.StatusAsync, s => s.Monitors.Single(m => m.Slug == "checkout") is { Status: "up", Flapping: true },
            TimeSpan.FromSeconds(60), "checkout up and still flapping");
        var open = await AlertsAsync(console);
        Assert.Contains(open, a => a!["monitor"]!.GetValue<string>() == "checkout" && a["state"]!.GetValue<string>() == "open");
        // An hour later for the dispatcher: a reminder is due for each open alert, if it is to be sent at all.
        app.AdvanceDispatcher(clock, TimeSpan.FromHours(1));

        await _hooked.Receiver.AcceptedAsync(d => d.Any(x => x.Event == "reminder"), "the reminder for the broken monitor");
        // Checkout was up and flagged throughout, so the pass that reminded of the broken one saw it too.
        var after = (await app.StatusAsync()).Monitors.Single(m => m.Slug == "checkout");

        Assert.Equal(("up", true), (after.Status, after.Flapping));
        var reminders = _hooked.Receiver.Accepted.Where(d => d.Event == "reminder").ToList();
        Assert.Equal(["broken"], reminders.Select(d => d.Node["monitor"]!["slug"]!.GetValue<string>()));
    }

    /// <summary>
    /// "Nothing more arrives" cannot be waited for. Waits instead for a marker that enough has happened: checkout has
    /// three more checks (each could have queued a notification) and the outbox holds nothing unsent; after that, a
    /// duplicate or an extra notification would already be at the receiver, so the test can assert its absence.
    /// </summary>
    private static async Task SettledAsync(UptimeWatchApp app)
    {
        var since = DateTimeOffset.UtcNow;
        await Eventually.Until(() => app.ChecksAsync("checkout"), c => c.Count(x => x.At > since) >= 3, TimeSpan.FromSeconds(60),
            "three more checks of checkout");
        using var console = await app.SignedInAsync();
        await OutboxSentAsync(console);
    }

    private static Task OutboxSentAsync(HttpClient console) =>
        Eventually.Until(async () => (await console.GetFromJsonAsync<JsonObject>("/api/admin/notifications"))!["notifications"]!.AsArray(),
            n => n.All(x => x!["state"]!.GetValue<string>() == "sent"), TimeSpan.FromSeconds(60), "every notification to be sent");

    private static async Task<JsonArray> AlertsAsync(HttpClient console) =>
        (await console.GetFromJsonAsync<JsonObject>("/api/admin/alerts"))!["alerts"]!.AsArray();

    /// <summary>Flips the target after every check until the monitor is flagged flapping (and <paramref name="also"/> holds).</summary>
    private async Task FlipUntilFlaggedAsync(UptimeWatchApp app, Func<Task<JsonArray>>? read = null, Func<JsonArray, bool>? also = null)
    {
        using var alternating = _hooked.Target.Alternate();
        try
        {
            await Eventually.Until(app.StatusAsync, s => s.Monitors.Single(m => m.Slug == "checkout").Flapping, TimeSpan.FromSeconds(60),
                "checkout to be flapping");
            if (read is not null)
            {
                await Eventually.Until(read, also!, TimeSpan.FromSeconds(60), "the flapping monitor's alert");
            }
        }
        finally
        {
            alternating.Dispose();
        }
    }

    [Fact]
    public async Task An_unacknowledged_alert_gets_one_reminder_after_a_long_stop_not_one_per_missed_interval()
    {
        var data = TestPaths.NewTempDirectory();
        var settings = Settings(("Alerting:Defaults:RemindEveryMinutes", "10"));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(5));
        _hooked.Target.Healthy = false;
        await using (var first = OnClock(clock, data, [Monitor()], settings))
        {
            await first.WaitForStatusAsync("checkout", "down");
            await _hooked.Receiver.AcceptedAsync(d => d.Count == 1, "the down alert");
        }
        // UptimeWatch stopped for an hour after the alert was raised (65 minutes less the few seconds it took to go down).
        clock.Advance(TimeSpan.FromHours(1));

        await using var second = OnClock(clock, data, [Monitor()], settings);
        // The factory starts the app on first use. A reminder pass runs at start; this wakes one that surely sees the
        // monitor down.
        await second.WaitForStatusAsync("checkout", "down");
        second.AdvanceDispatcher(clock, TimeSpan.Zero);
        var delivered = await _hooked.Receiver.AcceptedAsync(d => d.Count >= 2, "the reminder");
        // Reminders for missed intervals would have been queued by the same pass as the first one.
        await SettledAsync(second);

        Assert.Equal(["down", "reminder"], _hooked.Receiver.Accepted.Select(d => d.Event));
        Assert.EndsWith(":reminder:6:hook", delivered[1].Key);
    }

    [Fact]
    public async Task A_test_notification_arrives_at_once_and_channels_never_show_their_secrets()
    {
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [], Settings());
        using var console = await app.SignedInAsync();

        using var response = await console.PostAsync("/api/admin/channels/hook/test", null);
        var result = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var channels = await console.GetStringAsync("/api/admin/channels");
        using var unknown = await console.PostAsync("/api/admin/channels/nope/test", null);

        Assert.True(result["delivered"]?.GetValue<bool>(), result.ToJsonString());
        Assert.Equal("test", Assert.Single(_hooked.Receiver.Accepted).Event);
        Assert.DoesNotContain(HookedTarget.Secret, channels);
        Assert.Contains("\"url\":\"http://127.0.0.1:", channels);
        Assert.DoesNotContain("/hook", channels);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_down_monitor_is_mailed_over_smtp_and_then_its_recovery()
    {
        await using var smtp = new SmtpTestServer().Start();
        var settings = new Dictionary<string, string?>
        {
            ["UptimeWatch:Alerting:Channels:mail:Type"] = "email",
            ["UptimeWatch:Alerting:Channels:mail:Host"] = "127.0.0.1",
            ["UptimeWatch:Alerting:Channels:mail:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["UptimeWatch:Alerting:Channels:mail:Security"] = "None",
            ["UptimeWatch:Alerting:Channels:mail:From"] = "UptimeWatch <alerts@example.com>",
            ["UptimeWatch:Alerting:Channels:mail:To"] = "ops@example.com",
        };
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [Monitor()], settings);
        await app.WaitForStatusAsync("checkout", "up");

        _hooked.Target.Healthy = false;
        await Eventually.Until(() => Task.FromResult(smtp.Messages), m => m.Count == 1, TimeSpan.FromSeconds(60), "the down mail");
        _hooked.Target.Healthy = true;
        var mails = await Eventually.Until(() => Task.FromResult(smtp.Messages), m => m.Count == 2, TimeSpan.FromSeconds(60), "the recovery mail");

        var subjects = mails.Select(m => MimeKit.MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(m.Data))).Subject).ToList();
        Assert.Equal("[DOWN] Checkout", subjects[0]);
        Assert.StartsWith("[RECOVERED] Checkout", subjects[1]);
        Assert.All(mails, m => Assert.Equal(["ops@example.com"], m.To));
    }
}
