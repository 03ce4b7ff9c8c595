namespace UptimeWatch.Storage;

/// <summary>
/// One incident of one monitor: raised when it goes down (held back while it flaps), in the same transaction as the status
/// change; acknowledged by someone; resolved when it comes back, is paused, put in maintenance or deleted. Its id is
/// the incident id every notification about it carries.
/// </summary>
public sealed class Alert
{
    public long Id { get; set; }
    public int MonitorId { get; set; }

    /// <summary><c>down</c>; <c>flapping</c> only on alerts raised before flapping became a flag beside the status.</summary>
    public required string Kind { get; set; }
    public DateTimeOffset RaisedAt { get; set; }

    /// <summary>The status event that raised it: its seq in the event log.</summary>
    public long RaisedEventId { get; set; }
    public required string Reason { get; set; }

    public DateTimeOffset? AcknowledgedAt { get; set; }
    public string? AcknowledgedBy { get; set; }
    public string? Note { get; set; }
    public long? AcknowledgedEventId { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }
    public long? ResolvedEventId { get; set; }
    public string? ResolvedReason { get; set; }
}

/// <summary>A maintenance window set in the console for one monitor (config-file windows live in the definition).</summary>
public sealed class MaintenanceEntry
{
    public long Id { get; set; }
    public int MonitorId { get; set; }
    public DateTimeOffset Start { get; set; }
    public DateTimeOffset End { get; set; }
    public string? Reason { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
