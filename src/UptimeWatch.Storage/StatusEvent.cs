namespace UptimeWatch.Storage;

/// <summary>
/// One change of a monitor's status. The table is append-only and its id is the cursor every live
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
}
