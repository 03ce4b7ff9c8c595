namespace UptimeWatch.Storage;

/// <summary>One scheduled slot of one monitor: a check that ran, or a slot that could not run.</summary>
public sealed class CheckResult
{
    public long Id { get; set; }
    public int MonitorId { get; set; }
    public DateTimeOffset At { get; set; }
    public CheckOutcome Outcome { get; set; }

    /// <summary>Time from starting the check to its end; null for a missed slot.</summary>
    public int? ResponseMs { get; set; }
    public int? HttpStatus { get; set; }
    public string? Error { get; set; }

    /// <summary>
    /// What kind of failure <see cref="Error"/> is, decided by the probe (<c>timeout</c>, <c>http_status</c>, …): what the
    /// public is shown instead of the error itself. Null when the check did not fail, and on rows stored before it existed.
    /// </summary>
    public string? Category { get; set; }

    // The timing breakdown of an HTTP(S) or TLS check, each phase on its own; null when the phase did not
    // happen (a reused connection has no DNS, connect or TLS time).
    public int? DnsMs { get; set; }
    public int? ConnectMs { get; set; }
    public int? TlsMs { get; set; }
    public int? FirstByteMs { get; set; }

    /// <summary>Checked during a maintenance window: counts neither as up nor as down in uptime.</summary>
    public bool InMaintenance { get; set; }

    /// <summary>Whole days until the server certificate expires (negative once expired).</summary>
    public int? CertificateDaysLeft { get; set; }

    /// <summary>
    /// The scheduled slot this check fills, on a cluster (PostgreSQL) only: unique per monitor, so no slot is ever
    /// stored twice whichever node runs it. Null on SQLite and for checks outside the grid (check now, a confirmation re-check).
    /// </summary>
    public DateTimeOffset? Slot { get; set; }

    /// <summary>The cluster node (<c>Scheduler:NodeId</c>) that ran the check, or declared the slot missed; null on SQLite.</summary>
    public string? Node { get; set; }

    /// <summary>
    /// Where the check was made from: <see cref="ThisServer"/> (the server, any node of a cluster, named by its
    /// <c>UptimeWatch:Location</c>) for every check so far. A slot is unique per monitor and location.
    /// </summary>
    public int LocationId { get; set; }

    /// <summary>The location of the server's own checks; a 0 costs no bytes in a SQLite row.</summary>
    public const int ThisServer = 0;
}
