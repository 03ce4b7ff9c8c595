using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using UptimeWatch.Alerting;
using UptimeWatch.Journal;

namespace UptimeWatch.Tests.Alerting;

/// <summary>
/// The notification dispatcher on a fake clock: retries and reminders happen when a test moves the clock, not after a
/// real-time wait. Everything else in the app keeps the real clock.
/// </summary>
internal static class DispatcherClock
{
    /// <summary>For <see cref="UptimeWatchApp.TestServices"/>: the app's dispatcher reads <paramref name="clock"/>.</summary>
    public static Action<IServiceCollection> Use(FakeTimeProvider clock) =>
        services => services.AddSingleton(provider => ActivatorUtilities.CreateInstance<NotificationDispatcher>(provider, (TimeProvider)clock));

    /// <summary>
    /// Moves the dispatcher's clock and wakes it, as the writer does when it queues something (a pass may be running
    /// that read the clock before the move).
    /// </summary>
    public static void AdvanceDispatcher(this UptimeWatchApp app, FakeTimeProvider clock, TimeSpan by)
    {
        clock.Advance(by);
        app.Services.GetRequiredService<NotificationSignal>().Notify();
    }
}
