using UptimeWatch.Live;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// The admin view of the event log, for <c>subscribe { after }</c>: every monitor's status changes (public or not) and
/// the alert raised/acknowledged/resolved steps, as the same <see cref="LiveEvent"/>s the hub publishes live.
/// </summary>
internal sealed class AdminEventLog
{
    /// <summary>Null when <paramref name="after"/> can be resumed from, otherwise why not (the client must reload).</summary>
    public Task<string?> CheckCursorAsync(long after, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>
    /// Up to <paramref name="limit"/> event-log entries after <paramref name="after"/>, oldest first, each as one or more
    /// events (a status change that raised an alert gives <c>status</c> then <c>alert.raised</c>, both with its seq).
    /// Call again from the last seq returned until an empty list comes back (caught up).
    /// </summary>
    public Task<IReadOnlyList<LiveEvent>> ReadAfterAsync(long after, int limit, CancellationToken cancellationToken) =>
        throw new NotImplementedException();
}
