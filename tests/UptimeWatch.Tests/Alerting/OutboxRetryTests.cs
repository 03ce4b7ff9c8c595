using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using UptimeWatch.Alerting;
using UptimeWatch.Tests.AdminConsole;
using UptimeWatch.Journal;

namespace UptimeWatch.Tests.Alerting;

/// <summary>
/// The outbox's retry rules (docs/alerting.md, "Rules, outbox and retries"), through the app's own dispatcher and a real
/// receiver on 127.0.0.1. The dispatcher runs on a fake clock that starts a minute ahead of real time, so what the writer
/// queues (at real time) is due at once, and a retry happens only when the test moves the clock to it: every wait is
/// exact, and none is a real-time bound.
/// </summary>
public sealed class OutboxRetryTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow.AddMinutes(1));
    private HookedTarget _hooked = null!;

    public async Task InitializeAsync() => _hooked = await HookedTarget.StartAsync(signed: false);

    public async Task DisposeAsync() => await _hooked.DisposeAsync();

    /// <summary>An app whose monitor "checkout" alerts every channel in <paramref name="channels"/>, with the dispatcher on the fake clock.</summary>
    private UptimeWatchApp App(Dictionary<string, Uri> channels, params (string Key, string Value)[] delivery)
    {
        var settings = new Dictionary<string, string?>
        {
            ["UptimeWatch:Alerting:Defaults:Channels"] = string.Join(',', channels.Keys),
        };
        foreach (var (name, url) in channels)
        {
            settings[$"UptimeWatch:Alerting:Channels:{name}:Type"] = "webhook";
            settings[$"UptimeWatch:Alerting:Channels:{name}:Url"] = url.ToString();
        }
        foreach (var (key, value) in delivery)
        {
            settings["UptimeWatch:Alerting:Delivery:" + key] = value;
        }
        return new UptimeWatchApp(TestPaths.NewTempDirectory(), [UptimeWatchApp.Monitor("Checkout", _hooked.Target.Url("/health"), failureThreshold: 1)], settings)
        {
            TestServices = DispatcherClock.Use(_clock),
        };
    }

    private static async Task<JsonArray> NotificationsAsync(HttpClient console) =>
        (await console.GetFromJsonAsync<JsonObject>("/api/admin/notifications"))!["notifications"]!.AsArray();

    /// <summary>The one notification of <paramref name="channel"/> for <paramref name="event"/>, once <paramref name="done"/> holds for it.</summary>
    private static async Task<JsonObject> NotificationAsync(HttpClient console, string channel, string @event, Func<JsonObject, bool> done, string what) =>
        (await Eventually.Until(
            async () => (await NotificationsAsync(console)).Select(n => n!.AsObject())
                .SingleOrDefault(n => n["channel"]!.GetValue<string>() == channel && n["event"]!.GetValue<string>() == @event),
            n => n is not null && done(n), TimeSpan.FromSeconds(30), what))!;

    private static int Attempts(JsonObject n) => n["attempts"]!.GetValue<int>();

    private static string State(JsonObject n) => n["state"]!.GetValue<string>();

    private static DateTimeOffset LastAttemptAt(JsonObject n) => n["attemptLog"]!.AsArray()[^1]!["at"]!.GetValue<DateTimeOffset>();

    private static DateTimeOffset NextAttemptAt(JsonObject n) => n["nextAttemptAt"]!.GetValue<DateTimeOffset>();

    [Fact]
    public async Task Retries_back_off_exponentially_up_to_MaxRetrySeconds_and_every_attempt_carries_the_same_Idempotency_Key()
    {
        _hooked.Receiver.FailNext(5, 500);
        await using var app = App(new() { ["hook"] = _hooked.Receiver.Url("/hook") }, ("FirstRetrySeconds", "10"), ("MaxRetrySeconds", "40"));
        using var console = await app.SignedInAsync();

        _hooked.Target.Healthy = false;
        // 10 s, then twice as late each time (20, 40), and never more than 40.
        TimeSpan[] expected = [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(40)];
        var waits = new List<TimeSpan>();
        for (var attempt = 1; attempt <= expected.Length; attempt++)
        {
            var failed = await NotificationAsync(console, "hook", "down", n => Attempts(n) == attempt, $"attempt {attempt} to be recorded");
            Assert.Equal("pending", State(failed));
            waits.Add(NextAttemptAt(failed) - LastAttemptAt(failed));
            app.AdvanceDispatcher(_clock, waits[^1]);
        }
        var sent = await NotificationAsync(console, "hook", "down", n => State(n) == "sent", "the down alert to be delivered");

        Assert.Equal(expected, waits);
        Assert.Equal(6, Attempts(sent));
        var received = _hooked.Receiver.Received;
        Assert.Equal(6, received.Count);
        Assert.All(received, r => Assert.Equal(sent["key"]!.GetValue<string>(), r.Header("Idempotency-Key")));
        Assert.All(received, r => Assert.Equal("down", r.Json.GetProperty("event").GetString()));
    }

    [Theory]
    [InlineData(429, "120", 120)]
    [InlineData(503, "90", 90)]
    // Beyond MaxRetrySeconds it is capped there: an alert is not held an hour because a receiver asked.
    [InlineData(429, "3600", 600)]
    public async Task A_Retry_After_longer_than_the_backoff_is_honoured_up_to_MaxRetrySeconds(int status, string retryAfter, int seconds)
    {
        _hooked.Receiver.Reply(new HookReply(status, "slow down", new Dictionary<string, string> { ["Retry-After"] = retryAfter }));
        await using var app = App(new() { ["hook"] = _hooked.Receiver.Url("/hook") }, ("FirstRetrySeconds", "1"), ("MaxRetrySeconds", "600"));
        using var console = await app.SignedInAsync();

        _hooked.Target.Healthy = false;
        var failed = await NotificationAsync(console, "hook", "down", n => Attempts(n) == 1, "the refused attempt");
        var wait = NextAttemptAt(failed) - LastAttemptAt(failed);
        app.AdvanceDispatcher(_clock, wait);
        var sent = await NotificationAsync(console, "hook", "down", n => State(n) == "sent", "the down alert after the asked wait");

        Assert.Equal(TimeSpan.FromSeconds(seconds), wait);
        Assert.Equal([status, 200], sent["attemptLog"]!.AsArray().Select(a => a!["statusCode"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_notification_not_delivered_within_GiveUpAfterHours_expires_with_its_last_error_instead_of_being_tried_again()
    {
        // Only the first attempt is refused: a second one, if it were made, would be delivered.
        _hooked.Receiver.FailNext(1, 500);
        await using var app = App(new() { ["hook"] = _hooked.Receiver.Url("/hook") }, ("FirstRetrySeconds", "60"), ("MaxRetrySeconds", "600"), ("GiveUpAfterHours", "1"));
        using var console = await app.SignedInAsync();

        _hooked.Target.Healthy = false;
        await NotificationAsync(console, "hook", "down", n => Attempts(n) == 1, "the first refused attempt");
        app.AdvanceDispatcher(_clock, TimeSpan.FromHours(1));
        var expired = await NotificationAsync(console, "hook", "down", n => State(n) != "pending", "the down alert to expire");

        // Given up when it fell due past the limit, without the attempt that would now have gone through.
        Assert.Equal("expired", State(expired));
        Assert.Equal(1, Attempts(expired));
        Assert.StartsWith("not delivered within 1 h; last error: ", expired["lastError"]!.GetValue<string>());
        Assert.Contains("500", expired["lastError"]!.GetValue<string>());
        Assert.Single(_hooked.Receiver.Received);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    public async Task A_4xx_fails_the_notification_for_good_and_the_channel_goes_on_with_the_next(int status)
    {
        _hooked.Receiver.Reply(new HookReply(status, "no such hook"));
        await using var app = App(new() { ["hook"] = _hooked.Receiver.Url("/hook") }, ("FirstRetrySeconds", "1"), ("MaxRetrySeconds", "1"));
        using var console = await app.SignedInAsync();

        _hooked.Target.Healthy = false;
        var failed = await NotificationAsync(console, "hook", "down", n => State(n) != "pending", "the refused down alert to be settled");
        // Long past any retry: one would be due now, and would go before the recovery (a channel delivers in order).
        app.AdvanceDispatcher(_clock, TimeSpan.FromHours(1));
        _hooked.Target.Healthy = true;
        await NotificationAsync(console, "hook", "recovered", n => State(n) == "sent", "the recovery to be delivered");

        Assert.Equal("failed", State(failed));
        Assert.Equal(1, Attempts(failed));
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), failed["lastError"]!.GetValue<string>());
        Assert.Equal(["down", "recovered"], _hooked.Receiver.Received.Select(r => r.Json.GetProperty("event").GetString()));
    }

    [Fact]
    public async Task A_notification_damaged_in_the_outbox_fails_for_good_with_its_reason_and_its_channel_goes_on()
    {
        await using var app = App(new() { ["hook"] = _hooked.Receiver.Url("/hook") });
        using var console = await app.SignedInAsync();
        await app.WaitForStatusAsync("checkout", "up");
        // A row that is not the JSON this version writes (a damaged file, a row from another version), due at once and
        // ahead of everything the channel gets next.
        await using (var db = TestStorage.OpenDatabase(app.DataDirectory))
        {
            var now = DateTimeOffset.UtcNow;
            db.Notifications.Add(new UptimeWatch.Storage.OutboxNotification
            {
                Key = "damaged", MonitorId = await db.Monitors.Where(m => m.Slug == "checkout").Select(m => m.Id).SingleAsync(),
                Channel = "hook", Event = "recovered", Payload = "{not json", State = UptimeWatch.Storage.NotificationState.Pending, Attempts = 0, CreatedAt = now, NextAttemptAt = now,
            });
            Assert.Equal(1, await db.SaveChangesAsync());
        }
        app.AdvanceDispatcher(_clock, TimeSpan.Zero);

        var damaged = await NotificationAsync(console, "hook", "recovered", n => State(n) != "pending", "the damaged notification to be settled");
        _hooked.Target.Healthy = false;
        await NotificationAsync(console, "hook", "down", n => State(n) == "sent", "the down alert after it");

        Assert.Equal(("failed", 0), (State(damaged), Attempts(damaged)));
        Assert.Equal("the stored notification cannot be read (not the JSON this version writes)", damaged["lastError"]!.GetValue<string>());
        Assert.Equal(["down"], _hooked.Receiver.Received.Select(r => r.Json.GetProperty("event").GetString()));
    }

    [Fact]
    public async Task A_channel_whose_receiver_never_answers_holds_up_no_other_channel_while_its_attempt_is_in_flight()
    {
        await using var hanging = await HookReceiver.StartAsync();
        hanging.Reply(new HookReply(200, Hang: true));
        // The attempt's deadline runs on the fake clock, which the test never moves: the hanging attempt stays in flight.
        await using var app = App(new() { ["hanging"] = hanging.Url("/hook"), ["good"] = _hooked.Receiver.Url("/hook") });
        using var console = await app.SignedInAsync();

        _hooked.Target.Healthy = false;
        await NotificationAsync(console, "good", "down", n => State(n) == "sent", "the down alert on the good channel");
        await Eventually.Until(() => Task.FromResult(hanging.Received.Count), n => n == 1, TimeSpan.FromSeconds(30), "the hanging receiver to hold the down alert");
        // Queued while the other channel's attempt hangs: a pass that waited for every channel would never send it.
        _hooked.Target.Healthy = true;
        await NotificationAsync(console, "good", "recovered", n => State(n) == "sent", "the recovery on the good channel");
        var held = (await NotificationsAsync(console)).Select(n => n!.AsObject())
            .Single(n => n["channel"]!.GetValue<string>() == "hanging" && n["event"]!.GetValue<string>() == "down");

        Assert.Equal(["down", "recovered"], _hooked.Receiver.Received.Select(r => r.Json.GetProperty("event").GetString()));
        // Still in flight: no attempt recorded, nothing answered, the recovery on that channel not even tried.
        Assert.Equal(("pending", 0), (State(held), Attempts(held)));
        Assert.Equal(1, hanging.Hanging);
        Assert.Equal("down", Assert.Single(hanging.Received).Json.GetProperty("event").GetString());
    }

    [Fact]
    public async Task A_channel_whose_receiver_keeps_failing_never_holds_up_another_channel()
    {
        await using var broken = await HookReceiver.StartAsync();
        broken.FailNext(1000, 500);
        await using var app = App(new() { ["broken"] = broken.Url("/hook"), ["good"] = _hooked.Receiver.Url("/hook") },
            ("FirstRetrySeconds", "1"), ("MaxRetrySeconds", "1"));
        using var console = await app.SignedInAsync();

        _hooked.Target.Healthy = false;
        await NotificationAsync(console, "good", "down", n => State(n) == "sent", "the down alert on the good channel");
        _hooked.Target.Healthy = true;
        await NotificationAsync(console, "good", "recovered", n => State(n) == "sent", "the recovery on the good channel");
        var stuck = await NotificationsAsync(console);

        Assert.Equal(["down", "recovered"], _hooked.Receiver.Received.Select(r => r.Json.GetProperty("event").GetString()));
        // The broken channel's down alert is still waiting for its retry (the clock has not moved), its recovery behind it.
        var down = stuck.Select(n => n!.AsObject()).Single(n => n["channel"]!.GetValue<string>() == "broken" && n["event"]!.GetValue<string>() == "down");
        Assert.Equal(("pending", 1), (State(down), Attempts(down)));
        Assert.All(broken.Received, r => Assert.Equal("down", r.Json.GetProperty("event").GetString()));
    }
}
