namespace UptimeWatch.Storage;

/// <summary>A monitored target: its definition and its current verdict.</summary>
/// <remarks>
/// The definition is stored as the fields the user wrote (<see cref="Definition"/>, JSON) and re-validated on
/// load, so there is one set of rules; the few columns queries need are copied out of it. Definition columns are
/// written by whoever owns the monitor (the config file today, the console later); the runtime columns (status,
/// streaks, history, last check) only by the check-result writer, each side updating only its own columns.
/// </remarks>
public sealed class MonitorEntity
{
    public int Id { get; set; }

    /// <summary>Stable URL-safe identifier derived from the name; the key config upserts match on.</summary>
    public required string Slug { get; set; }
    public required string Name { get; set; }
    public string? Group { get; set; }

    /// <summary><c>http</c>, <c>tcp</c>, <c>dns</c>, <c>tls</c> or <c>push</c>.</summary>
    public required string Type { get; set; }

    /// <summary>What is checked, for display: the URL, or <c>push</c>.</summary>
    public required string Target { get; set; }
    public int IntervalSeconds { get; set; }
    public bool IsPublic { get; set; }

    /// <summary>The definition's fields as JSON (an object of "Field" or "Group:Field" to text).</summary>
    public required string Definition { get; set; }

    /// <summary>Where the definition comes from: <c>config</c> for the config file.</summary>
    public required string Source { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Set when the monitor left the config: kept with its history, no longer probed or listed.</summary>
    public DateTimeOffset? ArchivedAt { get; set; }

    /// <summary>Secret part of a push monitor's URL.</summary>
    public string? PushToken { get; set; }

    /// <summary>The status shown and logged: maintenance over the threshold verdict.</summary>
    public MonitorStatus Status { get; set; }

    /// <summary>What the thresholds alone say (unknown, up, degraded, down).</summary>
    public MonitorStatus BaseStatus { get; set; }
    public DateTimeOffset? StatusSince { get; set; }
    public int ConsecutiveFailures { get; set; }
    public int ConsecutiveSuccesses { get; set; }

    /// <summary>The last 21 verdicts, oldest first, one letter each (U up, G degraded, D down), for flap detection.</summary>
    public string VerdictHistory { get; set; } = "";

    /// <summary>Flapping: a flag shown beside the status ("unstable"); while set, down/up notifications are held back.</summary>
    public bool IsFlapping { get; set; }
    public DateTimeOffset? LastCheckedAt { get; set; }
    public int? LastResponseMs { get; set; }
    public DateTimeOffset? LastHeartbeatAt { get; set; }
}
