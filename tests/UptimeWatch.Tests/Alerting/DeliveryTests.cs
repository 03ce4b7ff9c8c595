using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.Alerting;

/// <summary>
/// Alerts through the outbox to a real webhook receiver on 127.0.0.1: retries, a receiver that is down across a restart,
/// order, signatures, flapping and reminders — what a user notices as "the alert arrived, once".
/// </summary>
public sealed class DeliveryTests : IAsyncLifetime
{
    private const string Secret = "receiver-shared-secret";
    private TargetServer _target = null!;
    private AlertReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _target = await TargetServer.StartAsync();
        _receiver = await AlertReceiver.StartAsync(Secret);
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _target.DisposeAsync();
    }

    private Dictionary<string, string?> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["UptimeWatch:Alerting:Channels:hook:Type"] = "webhook",
            ["UptimeWatch:Alerting:Channels:hook:Url"] = _receiver.Url.ToString(),
            ["UptimeWatch:Alerting:Channels:hook:Secret"] = Secret,
            ["UptimeWatch:Alerting:Delivery:FirstRetrySeconds"] = "1",
            ["UptimeWatch:Alerting:Delivery:MaxRetrySeconds"] = "1",
        };
        foreach (var (key, value) in extra)
        {
            settings["UptimeWatch:" + key] = value;
        }
        return settings;
    }

    private Dictionary<string, string?> Monitor(int failureThreshold = 1) => UptimeWatchApp.Monitor("Checkout", _target.Url("/health"), failureThreshold);

    private Task<IReadOnlyList<AlertReceiver.Delivery>> DeliveredAsync(Func<IReadOnlyList<AlertReceiver.Delivery>, bool> done, string what) =>
        Eventually.Until(() => Task.FromResult(_receiver.Accepted), done, TimeSpan.FromSeconds(30), what);

    [Fact]
    public async Task A_receiver_that_refuses_at_first_gets_the_alert_after_retries_and_every_attempt_is_recorded()
    {
        _receiver.FailNext(2);
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [Monitor()], Settings());
        using var console = await app.SignedInAsync();

        _target.Healthy = false;
        var delivered = await DeliveredAsync(d => d.Count >= 1, "the down alert");
        var notification = await Eventually.Until(
            async () => (await console.GetFromJsonAsync<JsonObject>("/api/admin/notifications"))!["notifications"]!.AsArray()[0]!,
            n => n["state"]!.GetValue<string>() == "sent", TimeSpan.FromSeconds(10), "the outbox to say sent");

        var down = Assert.Single(delivered);
        Assert.Equal(("down", "checkout", true), (down.Event, down.Body["monitor"]!["slug"]!.GetValue<string>(), down.SignatureValid));
        Assert.Equal(3, _receiver.Requests);
        var attempts = notification["attemptLog"]!.AsArray();
        Assert.Equal([503, 503, 200], attempts.Select(a => a!["statusCode"]!.GetValue<int>()));
        Assert.Equal([false, false, true], attempts.Select(a => a!["delivered"]!.GetValue<bool>()));
        Assert.Equal(down.Key, notification["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Alerts_raised_while_the_receiver_is_down_arrive_once_and_in_order_after_a_restart_of_both()
    {
        var data = TestPaths.NewTempDirectory();
        await _receiver.StopAsync();
        await using (var first = new UptimeWatchApp(data, [Monitor()], Settings()))
        {
            _target.Healthy = false;
            await first.WaitForStatusAsync("checkout", "down");
            using var console = await first.SignedInAsync();
            // Tried and refused (connection refused), still pending when UptimeWatch stops.
            await Eventually.Until(async () => (await console.GetFromJsonAsync<JsonObject>("/api/admin/notifications"))!["notifications"]!.AsArray(),
                n => n.Count == 1 && n[0]!["attempts"]!.GetValue<int>() >= 1, TimeSpan.FromSeconds(10), "a failed attempt");
        }

        _target.Healthy = true;
        await using var second = new UptimeWatchApp(data, [Monitor()], Settings());
        await second.WaitForStatusAsync("checkout", "up");
        await _receiver.StartAsync();
        var delivered = await DeliveredAsync(d => d.Count >= 2, "both notifications");
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.Equal(["down", "recovered"], _receiver.Accepted.Select(d => d.Event));
        Assert.Equal(delivered[0].Body["incidentId"]!.GetValue<long>(), delivered[1].Body["incidentId"]!.GetValue<long>());
        Assert.All(delivered, d => Assert.True(d.SignatureValid));
    }

    [Fact]
    public async Task A_flapping_monitor_sends_one_flapping_notice_and_then_nothing_while_it_flaps()
    {
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [Monitor()], Settings());
        await app.WaitForStatusAsync("checkout", "up");

        // Flip the target every second for a bounded time; it stops by itself.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var flipping = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                _target.Healthy = !_target.Healthy;
                await Task.Delay(1000, CancellationToken.None);
            }
        });
        try
        {
            await Eventually.Until(app.StatusAsync, s => s.Monitors.Single().Flapping, TimeSpan.FromSeconds(25), "checkout to be flapping");
            var atStart = (await DeliveredAsync(d => d.Any(x => x.Event == "flapping.started"), "the flapping notice")).Count;
            var flagged = (await app.EventsAsync()).Count;
            // Its status keeps changing up and down (each change logged) ...
            await Eventually.Until(() => app.EventsAsync(), e => e.Count >= flagged + 3, TimeSpan.FromSeconds(15), "status changes while it flaps");
            var events = _receiver.Accepted.Select(d => d.Event).ToList();

            Assert.Single(events, e => e == "flapping.started");
            // ... and none of those changes is notified while it flaps.
            Assert.Equal(atStart, events.Count);
        }
        finally
        {
            await stop.CancelAsync();
            await flipping;
        }
    }

    [Fact]
    public async Task A_flapping_monitor_that_then_fails_steadily_shows_down_at_once_and_sends_exactly_one_down_alert_when_it_settles()
    {
        // Three failures confirm a down: flips every second move the verdicts (and set the flag) but not the status.
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [Monitor(failureThreshold: 3)], Settings());
        using var console = await app.SignedInAsync();
        await app.WaitForStatusAsync("checkout", "up");

        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            var flipping = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    _target.Healthy = !_target.Healthy;
                    await Task.Delay(1000, CancellationToken.None);
                }
            });
            try
            {
                await Eventually.Until(app.StatusAsync, s => s.Monitors.Single().Flapping, TimeSpan.FromSeconds(40), "checkout to be flapping");
            }
            finally
            {
                await stop.CancelAsync();
                await flipping;
            }
        }

        // Then it fails on every check: down after FailureThreshold failures, while the flag is still set.
        _target.Healthy = false;
        await Eventually.Until(app.StatusAsync, s => s.Monitors.Single() is { Status: "down", Flapping: true }, TimeSpan.FromSeconds(20),
            "checkout to show down while still flapping");
        var whileFlapping = _receiver.Accepted.Select(d => d.Event).ToList();
        await Eventually.Until(app.StatusAsync, s => s.Monitors.Single() is { Status: "down", Flapping: false }, TimeSpan.FromSeconds(60),
            "checkout to settle down");
        var delivered = await DeliveredAsync(d => d.Any(x => x.Event == "down"), "the down alert");
        var alerts = await Eventually.Until(async () => (await console.GetFromJsonAsync<JsonObject>("/api/admin/alerts"))!["alerts"]!.AsArray(),
            a => a.Count >= 1, TimeSpan.FromSeconds(10), "the alert");
        // Anything else that was going to be queued by now has been: the writer queues with the status change.
        await Eventually.Until(async () => (await console.GetFromJsonAsync<JsonObject>("/api/admin/notifications"))!["notifications"]!.AsArray(),
            n => n.All(x => x!["state"]!.GetValue<string>() == "sent"), TimeSpan.FromSeconds(10), "the outbox to be empty");

        // Held back while it flapped (the flapping notice only), then exactly one down, once it settled.
        Assert.Equal(["flapping.started"], whileFlapping);
        Assert.Equal(["flapping.started", "down"], _receiver.Accepted.Select(d => d.Event));
        var down = delivered.Single(d => d.Event == "down");
        Assert.Equal("down", down.Body["status"]!.GetValue<string>());
        var alert = Assert.Single(alerts);
        Assert.Equal(("down", "open"), (alert!["kind"]!.GetValue<string>(), alert["state"]!.GetValue<string>()));
        Assert.Equal(alert["id"]!.GetValue<long>(), down.Body["incidentId"]!.GetValue<long>());
    }

    [Fact]
    public async Task An_unacknowledged_alert_gets_one_reminder_after_a_long_stop_not_one_per_missed_interval()
    {
        var data = TestPaths.NewTempDirectory();
        var settings = Settings(("Alerting:Defaults:RemindEveryMinutes", "10"));
        _target.Healthy = false;
        await using (var first = new UptimeWatchApp(data, [Monitor()], settings))
        {
            await first.WaitForStatusAsync("checkout", "down");
            await DeliveredAsync(d => d.Count == 1, "the down alert");
        }
        // As if UptimeWatch had been stopped for an hour after the alert was raised.
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(data, "uptimewatch.db")};Pooling=false"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE alerts SET RaisedAt = RaisedAt - 3600000";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        await using var second = new UptimeWatchApp(data, [Monitor()], settings);
        // The factory starts the app on first use.
        await second.WaitForStatusAsync("checkout", "down");
        var delivered = await DeliveredAsync(d => d.Count >= 2, "the reminder");
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.Equal(["down", "reminder"], _receiver.Accepted.Select(d => d.Event));
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
        Assert.Equal("test", Assert.Single(_receiver.Accepted).Event);
        Assert.DoesNotContain(Secret, channels);
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

        _target.Healthy = false;
        await Eventually.Until(() => Task.FromResult(smtp.Messages), m => m.Count == 1, TimeSpan.FromSeconds(20), "the down mail");
        _target.Healthy = true;
        var mails = await Eventually.Until(() => Task.FromResult(smtp.Messages), m => m.Count == 2, TimeSpan.FromSeconds(20), "the recovery mail");

        var subjects = mails.Select(m => MimeKit.MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(m.Data))).Subject).ToList();
        Assert.Equal("[DOWN] Checkout", subjects[0]);
        Assert.StartsWith("[RECOVERED] Checkout", subjects[1]);
        Assert.All(mails, m => Assert.Equal(["ops@example.com"], m.To));
    }
}
