namespace UptimeWatch.Storage;

/// <summary>A monitored target: its definition and its current verdict.</summary>
/// <remarks>
/// Definition columns are written by whoever owns the monitor (the config file today, the console later);
/// the runtime columns (status, counters, last check) are written only by the check-result writer.
/// The two never overwrite each other because each side updates only its own columns.
/// </remarks>
public sealed class MonitorEntity
{
    public int Id { get; set; }

    /// <summary>Stable URL-safe identifier derived from the name; the key config upserts match on.</summary>
    public required string Slug { get; set; }
    public required string Name { get; set; }
    public string? Group { get; set; }
    public required string Url { get; set; }
    public required string Method { get; set; }
    public int IntervalSeconds { get; set; }
    public int TimeoutSeconds { get; set; }
    public required string ExpectedStatus { get; set; }
    public string? Keyword { get; set; }
    public bool IsPublic { get; set; }
    public int FailureThreshold { get; set; }
    public int SuccessThreshold { get; set; }
    public int MaxRedirects { get; set; }

    /// <summary>Where the definition comes from: <c>config</c> for the config file.</summary>
    public required string Source { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Set when the monitor left the config: kept with its history, no longer probed or listed.</summary>
    public DateTimeOffset? ArchivedAt { get; set; }

    public MonitorStatus Status { get; set; }
    public DateTimeOffset? StatusSince { get; set; }
    public int ConsecutiveFailures { get; set; }
    public int ConsecutiveSuccesses { get; set; }
    public DateTimeOffset? LastCheckedAt { get; set; }
    public int? LastResponseMs { get; set; }
}
