namespace UptimeWatch.Storage;

/// <summary>One scheduled slot of one monitor: a check that ran, or a slot that could not run.</summary>
public sealed class CheckResult
{
    public long Id { get; set; }
    public int MonitorId { get; set; }
    public DateTimeOffset At { get; set; }
    public CheckOutcome Outcome { get; set; }

    /// <summary>Time from sending the request to the end of the response; null for a missed slot.</summary>
    public int? ResponseMs { get; set; }
    public int? HttpStatus { get; set; }
    public string? Error { get; set; }
}
