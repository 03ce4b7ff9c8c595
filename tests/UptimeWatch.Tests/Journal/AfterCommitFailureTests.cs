using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Alerting;
using UptimeWatch.Storage;
using UptimeWatch.Journal;

namespace UptimeWatch.Tests.Journal;

/// <summary>
/// What follows the writer's commit (waking the alert dispatcher, publishing, releasing waiters) may fail; the batch is
/// in the database by then and must never be written again: one status event, one alert, one notification, one check
/// row per check.
/// </summary>
public sealed class AfterCommitFailureTests : IAsyncLifetime
{
    private HookedTarget _hooked = null!;

    public async Task InitializeAsync() => _hooked = await HookedTarget.StartAsync();

    public async Task DisposeAsync() => await _hooked.DisposeAsync();

    [Fact]
    public async Task A_failure_after_the_commit_stores_nothing_twice_and_the_alert_still_goes_out_once()
    {
        var signal = new FailingOnceSignal();
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(),
            [UptimeWatchApp.Monitor("Checkout", _hooked.Target.Url("/health"), failureThreshold: 1)],
            _hooked.Settings())
        {
            // The writer wakes the dispatcher right after committing a notification: that is where it fails, once.
            TestServices = services => services.AddSingleton<NotificationSignal>(signal),
        };
        // A cold target's first answer can outlast the 1 s timeout: an early "down" is not the change under test.
        using (var warm = new HttpClient())
        {
            (await warm.GetAsync(_hooked.Target.Url("/health"))).EnsureSuccessStatusCode();
        }
        await app.WaitForStatusAsync("checkout", "up");
        var upTo = (await app.EventsAsync()).Max(e => e.Id);

        signal.Armed = true;
        _hooked.Target.Healthy = false;
        await app.WaitForStatusAsync("checkout", "down");
        // Later checks are stored (the writer goes on), and any second copy of the down batch would have been by then.
        var stored = (await app.ChecksAsync("checkout", 1000)).Count;
        await Eventually.Until(async () => (await app.ChecksAsync("checkout", 1000)).Count, n => n >= stored + 3, TimeSpan.FromSeconds(30),
            "three more checks to be stored");
        // Nothing woke the dispatcher: it finds the notification at its next look.
        var events = await app.EventsAsync();
        var delivered = await Eventually.Until(() => Task.FromResult(_hooked.Receiver.Accepted), d => d.Count(x => x.Event == "down") >= events.Count(e => e.To == "down"),
            TimeSpan.FromSeconds(30), "the down alert");

        Assert.Equal(1, signal.Failures);
        Assert.Single(events, e => e.Id > upTo && e.To == "down");
        await using var db = TestStorage.OpenDatabase(app.DataDirectory);
        Assert.Equal(1, await db.StatusEvents.CountAsync(e => e.Id > upTo && e.To == MonitorStatus.Down));
        Assert.Equal(1, await db.Alerts.CountAsync(a => a.RaisedEventId > upTo));
        Assert.Equal(1, await db.Notifications.CountAsync(n => db.Alerts.Any(a => a.Id == n.AlertId && a.RaisedEventId > upTo)));
        Assert.Equal(0, await db.CheckResults.GroupBy(c => new { c.MonitorId, c.At }).CountAsync(g => g.Count() > 1));
        // One delivery per down change: the one under test and, had the target been slow at first, an earlier one.
        Assert.Equal(events.Count(e => e.To == "down"), delivered.Count(d => d.Event == "down"));
    }

    /// <summary>The dispatcher's wake-up call, failing the first time the writer makes it once armed.</summary>
    private sealed class FailingOnceSignal : NotificationSignal
    {
        private int _calls;

        public volatile bool Armed;

        public int Failures { get; private set; }

        public override void Notify()
        {
            if (Armed && Interlocked.Increment(ref _calls) == 1)
            {
                Failures++;
                throw new InvalidOperationException("injected: the dispatcher could not be woken");
            }
            base.Notify();
        }
    }
}
