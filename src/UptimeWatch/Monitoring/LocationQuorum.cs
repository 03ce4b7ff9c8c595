using System.Globalization;
using UptimeWatch.Storage;

namespace UptimeWatch.Monitoring;

/// <summary>
/// What one probe location says of a monitor: the status its own checks confirmed, with the monitor's own thresholds
/// (<see cref="MonitorStateMachine"/>, one state per location), when it last reported, and whether its canaries fail
/// (it cannot reach the internet, so its verdicts are held).
/// </summary>
internal readonly record struct LocationView(string Name, MonitorStatus Status, DateTimeOffset? LastReportAt, bool CutOff);

/// <summary>The monitor's status from its locations' views, the reason in the team's words, and the public words.</summary>
internal readonly record struct QuorumVerdict(MonitorStatus Status, string Reason, string PublicReason, int Voting, IReadOnlyList<string> Agreeing);

/// <summary>
/// Down only when enough locations agree. A location votes when it has reported within the last three intervals
/// (otherwise it is offline) and its canaries reach the internet (otherwise its verdicts are held): an absent or
/// cut-off location never counts as down, and never counts at all. Among the voters:
/// <list type="bullet">
/// <item><c>Quorum</c> or more confirm down: down, "down from a, b (2 of 3)";</item>
/// <item>some do, fewer than <c>Quorum</c>: degraded, "down from a (1 of 3)";</item>
/// <item>none is down and some are degraded: degraded, "degraded from a (1 of 3)";</item>
/// <item>all are up: up.</item>
/// </list>
/// Fewer voters than <c>Quorum</c>: unknown, never down. A pure function, as <see cref="MonitorStateMachine"/>.
/// </summary>
internal static class LocationQuorum
{
    /// <summary>Reports missed before a location is offline and stops voting.</summary>
    public const int OfflineAfterIntervals = 3;

    /// <summary>The default quorum: a majority of the monitor's locations (1 of 1, 2 of 2 or 3, 3 of 4 or 5).</summary>
    public static int Majority(int locations) => locations / 2 + 1;

    /// <summary>
    /// Whether <paramref name="location"/> has been silent for three intervals, or never reported at all.
    /// <paramref name="listeningSince"/>: when whoever judges began to listen (its process started, the monitor was
    /// resumed): no silence counts from before then, as for a push monitor's heartbeats, so a restart gives every location
    /// that had reported its three intervals to come back.
    /// </summary>
    public static bool IsOffline(LocationView location, DateTimeOffset now, TimeSpan interval, DateTimeOffset? listeningSince = null)
    {
        if (location.LastReportAt is not { } last)
        {
            return true;
        }
        var since = listeningSince is { } listening && listening > last ? listening : last;
        return now - since > interval * OfflineAfterIntervals;
    }

    public static QuorumVerdict Judge(IReadOnlyList<LocationView> locations, int quorum, TimeSpan interval, DateTimeOffset now,
        DateTimeOffset? listeningSince = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quorum, 1);
        var voters = locations
            .Where(l => !l.CutOff && !IsOffline(l, now, interval, listeningSince) && l.Status is MonitorStatus.Up or MonitorStatus.Down or MonitorStatus.Degraded)
            .ToList();
        var count = voters.Count;
        if (count < quorum)
        {
            var silent = locations.Except(voters).Select(l => $"{l.Name} {Silence(l, now, interval, listeningSince)}");
            return new QuorumVerdict(MonitorStatus.Unknown,
                $"{Of(count, locations.Count)} locations report, fewer than the quorum of {Invariant(quorum)}: {string.Join(", ", silent)}",
                $"not enough locations reporting ({Of(count, locations.Count)})", count, []);
        }

        var down = Names(voters, MonitorStatus.Down);
        if (down.Count >= quorum)
        {
            return new QuorumVerdict(MonitorStatus.Down, $"down from {string.Join(", ", down)} ({Of(down.Count, count)})",
                $"down in {Of(down.Count, count)} locations", count, down);
        }
        if (down.Count > 0)
        {
            return new QuorumVerdict(MonitorStatus.Degraded, $"down from {string.Join(", ", down)} ({Of(down.Count, count)})",
                $"degraded in {Of(down.Count, count)} locations", count, down);
        }
        var degraded = Names(voters, MonitorStatus.Degraded);
        return degraded.Count > 0
            ? new QuorumVerdict(MonitorStatus.Degraded, $"degraded from {string.Join(", ", degraded)} ({Of(degraded.Count, count)})",
                $"degraded in {Of(degraded.Count, count)} locations", count, degraded)
            : new QuorumVerdict(MonitorStatus.Up, $"up from all {Invariant(count)} reporting locations", "up", count, []);
    }

    private static List<string> Names(List<LocationView> voters, MonitorStatus status) =>
        [.. voters.Where(l => l.Status == status).Select(l => l.Name)];

    private static string Silence(LocationView location, DateTimeOffset now, TimeSpan interval, DateTimeOffset? listeningSince) =>
        location.CutOff ? "cannot reach the internet"
        : IsOffline(location, now, interval, listeningSince) ? "offline"
        : "has no verdict yet";

    private static string Of(int part, int whole) => $"{Invariant(part)} of {Invariant(whole)}";

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
