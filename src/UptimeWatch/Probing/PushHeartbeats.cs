namespace UptimeWatch.Probing;

/// <summary>
/// Where <see cref="PushProbe"/> reads a push monitor's heartbeat clock. The clock is live monitor state, kept by the
/// monitoring feature (its registry implements this), so probing defines what it needs and knows nothing else of it.
/// </summary>
internal interface IPushHeartbeats
{
    /// <summary>The heartbeat clock of the active push monitor <paramref name="slug"/>; null once it is removed.</summary>
    PushHeartbeats? Find(string slug);
}

/// <summary>A push monitor's heartbeat clock, as of now.</summary>
/// <param name="Monitor">The live monitor it belongs to: the probe remembers per monitor which deadline it already
/// judged, and a monitor loaded afresh starts with nothing remembered.</param>
/// <param name="LastHeartbeatAt">The last heartbeat received, if any.</param>
/// <param name="ResumedAt">When the monitor was last resumed from a pause, if ever.</param>
/// <param name="ListeningSince">Since when this process has accepted heartbeats at the monitor's URL.</param>
internal sealed record PushHeartbeats(object Monitor, DateTimeOffset? LastHeartbeatAt, DateTimeOffset? ResumedAt, DateTimeOffset ListeningSince)
{
    /// <summary>
    /// On a cluster: when the last check stored by any node began. A deadline at or before it was already judged by some
    /// node, so it is not judged again here (a node's own memory of what it judged does not cover the others').
    /// </summary>
    public DateTimeOffset? LastRecordedAt { get; init; }
}
