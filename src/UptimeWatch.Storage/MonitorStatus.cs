namespace UptimeWatch.Storage;

/// <summary>What UptimeWatch currently believes about a monitor. Stored by name.</summary>
public enum MonitorStatus
{
    Unknown,
    Up,
    Degraded,
    Down,

    /// <summary>
    /// No longer a status: flapping is a flag beside it (<see cref="MonitorEntity.IsFlapping"/>,
    /// <see cref="StatusEvent.Flapping"/>). Kept so the numbering (metrics) stays and so that rows written before the
    /// change still read; the <c>SeparateFlappingFromStatus</c> migration rewrites them, and nothing writes it.
    /// </summary>
    Flapping,
    Maintenance,
    Paused,
}

/// <summary>The verdict of one slot. Stored as a small integer: the check table is the big one.</summary>
public enum CheckOutcome
{
    Up = 1,
    Down = 2,
    /// <summary>
    /// The slot has no verdict on the target: it could not run (previous check still running, scheduler late), or it ran
    /// from a location that could not reach the internet at the time (its canaries failed), so it was held.
    /// </summary>
    Missed = 3,
    /// <summary>Worked, but slower than allowed or with a certificate about to expire.</summary>
    Degraded = 4,
}
