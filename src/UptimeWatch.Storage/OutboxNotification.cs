namespace UptimeWatch.Storage;

public enum NotificationState
{
    Pending = 0,
    Sent = 1,

    /// <summary>The receiver refused it for good (e.g. 404): retrying could not help.</summary>
    Failed = 2,

    /// <summary>Not delivered within the give-up period.</summary>
    Expired = 3,
}

/// <summary>
/// One notification to deliver to one channel: written in the same transaction as the status change that caused it,
/// delivered by the dispatcher with retries. <see cref="Key"/> is unique, so one incident step is queued once per
/// channel however often it is planned.
/// </summary>
public sealed class OutboxNotification
{
    public long Id { get; set; }
    public required string Key { get; set; }
    public long? AlertId { get; set; }

    /// <summary>
    /// The monitor it is about; null for a system alert, which is about UptimeWatch itself (a probe location that went
    /// offline), not about any one monitor.
    /// </summary>
    public int? MonitorId { get; set; }
    public required string Channel { get; set; }
    public required string Event { get; set; }

    /// <summary>What to say, as JSON, fixed when queued so every retry says the same.</summary>
    public required string Payload { get; set; }
    public NotificationState State { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? DoneAt { get; set; }
    public string? LastError { get; set; }
}

/// <summary>One delivery attempt: when, and what the receiver said.</summary>
public sealed class DeliveryAttempt
{
    public long Id { get; set; }
    public long NotificationId { get; set; }
    public DateTimeOffset At { get; set; }
    public bool Delivered { get; set; }
    public int? StatusCode { get; set; }
    public string? Error { get; set; }
    public int DurationMs { get; set; }
}
