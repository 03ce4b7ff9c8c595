using System.Globalization;
using System.Runtime.CompilerServices;
using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

/// <summary>
/// The scheduled side of a push monitor: heartbeats arrive on their own (<c>/api/push/{token}</c>), so a slot
/// only has something to say when the next one is overdue — more than the interval plus the grace period after
/// the last. While it is on time the slot records nothing (<see cref="ProbeResult.NothingNew"/>): the
/// heartbeats are the monitor's history, and a row per slot besides would count the same time twice.
/// While none comes, each deadline that passes (the first one, then one every interval) is one failed check,
/// so <c>FailureThreshold</c> counts missed heartbeats, whatever the phase of the monitor's slots.
/// </summary>
/// <remarks>
/// The heartbeat clock is live monitor state, so this probe reads it through <see cref="IPushHeartbeats"/> (the
/// monitoring feature's registry). It is optional so that probing can be wired on its own (the probe tests do)
/// without the monitoring feature.
/// </remarks>
internal sealed class PushProbe(TimeProvider time, IPushHeartbeats? heartbeats = null) : IProbe
{
    // The latest deadline each monitor was already found missing for. Only read and written inside the
    // monitor's turn (MonitorRuntime.EnterAsync); lost on restart, which costs at most one extra failed check.
    private readonly ConditionalWeakTable<object, StrongBox<DateTimeOffset>> _judged = new();

    public MonitorType Type => MonitorType.Push;

    public ValueTask<ProbeResult> CheckAsync(MonitorDefinition monitor, CancellationToken cancellationToken)
    {
        if (heartbeats is null)
        {
            throw new InvalidOperationException("Push monitors are judged from their heartbeats, which needs the monitoring feature (AddMonitoring)");
        }
        var interval = TimeSpan.FromSeconds(monitor.IntervalSeconds);
        var grace = TimeSpan.FromSeconds(monitor.Push!.GraceSeconds);
        var now = time.GetUtcNow();
        if (heartbeats.Find(monitor.Slug) is not { } clock)
        {
            // Removed while this slot was starting: nothing to judge.
            return ValueTask.FromResult(ProbeResult.NothingNew(now + interval));
        }

        var last = clock.LastHeartbeatAt;
        // Heartbeats are refused while paused: after a resume, the sender gets a whole period again.
        var since = clock.ResumedAt is { } resumed && resumed > clock.ListeningSince ? resumed : clock.ListeningSince;
        var due = DueBy(last, since, interval, grace);
        if (now < due)
        {
            return ValueTask.FromResult(ProbeResult.NothingNew(due));
        }

        // The latest deadline that has passed: the first, or one a whole number of intervals after it.
        var deadline = due + interval * Math.Floor((now - due) / interval);
        var judged = _judged.GetOrCreateValue(clock.Monitor);
        if (judged.Value >= deadline || clock.LastRecordedAt >= deadline)
        {
            return ValueTask.FromResult(ProbeResult.NothingNew(deadline + interval));
        }
        judged.Value = deadline;

        var expected = $"expected every {Duration(interval)}, grace {Duration(grace)}";
        var error = last is { } at
            ? $"no heartbeat for {Elapsed(now - at)} ({expected})"
            : $"no heartbeat in the {Elapsed(now - since)} since monitoring started ({expected})";
        return ValueTask.FromResult(ProbeResult.Failed(FailureKind.NoHeartbeat, 0, error));
    }

    /// <summary>
    /// When the next heartbeat is overdue: one interval after the last, plus the grace period. If that next
    /// heartbeat was due before UptimeWatch was listening (it was stopped, or the URL is new), it may have been
    /// sent and lost; then the sender gets a full interval plus grace from when listening began. So a restart
    /// neither forgets a recent heartbeat nor reports one missing that it could not have received, and a monitor
    /// that never had a heartbeat gets a full period before it is called down.
    /// </summary>
    public static DateTimeOffset DueBy(DateTimeOffset? lastHeartbeat, DateTimeOffset listeningSince, TimeSpan interval, TimeSpan grace)
    {
        var next = lastHeartbeat is { } last && last + interval >= listeningSince ? last + interval : listeningSince + interval;
        return next + grace;
    }

    /// <summary>A configured period, exactly: <c>24 h</c>, <c>5 min</c>, <c>90 s</c>.</summary>
    public static string Duration(TimeSpan span)
    {
        var seconds = (long)span.TotalSeconds;
        return seconds >= 3600 && seconds % 3600 == 0 ? $"{Invariant(seconds / 3600)} h"
            : seconds >= 60 && seconds % 60 == 0 ? $"{Invariant(seconds / 60)} min"
            : $"{Invariant(seconds)} s";
    }

    /// <summary>A time that has passed, rounded down to a unit a person reads at a glance: <c>26 h</c>, <c>3 days</c>.</summary>
    public static string Elapsed(TimeSpan span) => span.TotalSeconds switch
    {
        < 120 => $"{Invariant((long)span.TotalSeconds)} s",
        < 120 * 60 => $"{Invariant((long)span.TotalMinutes)} min",
        < 48 * 3600 => $"{Invariant((long)span.TotalHours)} h",
        _ => $"{Invariant((long)span.TotalDays)} days",
    };

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
