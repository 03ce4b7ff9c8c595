namespace UptimeWatch.Storage;

/// <summary>
/// Per-monitor aggregate of the checks in one hour or one day (UTC), so that long ranges are read from a few
/// rows instead of every check: the status page's cost does not grow with the age of the installation.
/// </summary>
public sealed class Rollup
{
    public int MonitorId { get; set; }

    /// <summary>Start of the hour or day, UTC.</summary>
    public DateTimeOffset Start { get; set; }

    /// <summary>Checks that ran (missed slots excluded), including those during maintenance.</summary>
    public int Checks { get; set; }

    /// <summary>Checks with a down verdict outside maintenance.</summary>
    public int Failures { get; set; }
    public int Degraded { get; set; }
    public int Missed { get; set; }

    /// <summary>Checks during a maintenance window: counted neither as up nor as down.</summary>
    public int Maintenance { get; set; }

    /// <summary>Status changes to down in this period.</summary>
    public int Incidents { get; set; }

    // Response times of checks that have one; the sum (not the mean) so periods can be combined exactly.
    public int? MinMs { get; set; }
    public int? MaxMs { get; set; }
    public long SumMs { get; set; }
    public int TimedChecks { get; set; }
    public int? P95Ms { get; set; }
}
