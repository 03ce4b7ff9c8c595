namespace UptimeWatch.Storage;

/// <summary>What an event-log entry records.</summary>
public enum EventKind
{
    /// <summary>A change of a monitor's status or of its flapping flag (the only kind public transports send).</summary>
    Status = 0,

    /// <summary>Someone acknowledged an alert (<see cref="StatusEvent.AlertId"/>); From and To are the status at the time.</summary>
    AlertAcknowledged = 1,
}

/// <summary>
/// One entry of the event log: a change of a monitor's status, or an alert acknowledged. The table is append-only and its id is the cursor every live
/// transport resumes from: rows are never updated, and deleted only when older than the retention period
/// (a client resuming from an id before that gets a <c>reset</c>).
/// </summary>
public sealed class StatusEvent
{
    public long Id { get; set; }
    public int MonitorId { get; set; }
    public MonitorStatus From { get; set; }
    public MonitorStatus To { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Reason { get; set; }

    /// <summary>
    /// The reason as the public sees it: a category (<c>connection_refused</c>, <c>paused</c>, …) and a short text
    /// without hosts, URLs, response text or names. Null on rows stored before they existed.
    /// </summary>
    public string? Category { get; set; }

    /// <inheritdoc cref="Category"/>
    public string? PublicReason { get; set; }
    public EventKind Kind { get; set; }

    /// <summary>For <see cref="EventKind.AlertAcknowledged"/>: which alert.</summary>
    public long? AlertId { get; set; }

    /// <summary>
    /// Whether the monitor was flapping after this change (a flag beside the status, not a status). A change of the
    /// flag alone is an event of its own, with <see cref="From"/> equal to <see cref="To"/>.
    /// </summary>
    public bool Flapping { get; set; }
}
