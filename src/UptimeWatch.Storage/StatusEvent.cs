namespace UptimeWatch.Storage;

/// <summary>
/// One change of a monitor's status. The table is append-only and its id is the cursor every live
/// transport resumes from, so rows are never updated or deleted.
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
