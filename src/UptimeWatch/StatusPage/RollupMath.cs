using UptimeWatch.Storage;

namespace UptimeWatch.StatusPage;

/// <summary>The fields of one check result that aggregates are made of.</summary>
internal readonly record struct RawCheck(DateTimeOffset At, CheckOutcome Outcome, int? ResponseMs, bool InMaintenance);

/// <summary>
/// How checks become hourly and daily aggregates, and how aggregates become uptime. Pure functions, so the
/// numbers a user sees can be tested from known inputs.
/// </summary>
/// <remarks>
/// Uptime % = (checks − maintenance − failures) / (checks − maintenance): a check during maintenance is neither
/// up nor down, a missed slot (the check could not run) is neither, and degraded counts as up. With no check
/// left to count, uptime is null ("no data"), never 0 or 100.
/// </remarks>
internal static class RollupMath
{
    public static DateTimeOffset HourOf(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    /// <summary>Start of the UTC day: the status page's days are UTC days, the same for every viewer.</summary>
    public static DateTimeOffset DayOf(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
    }

    /// <summary>
    /// Uptime in percent, rounded down to 3 decimals so that 100 means "no failure at all" rather than
    /// "a few failures rounded away". Null when nothing counts.
    /// </summary>
    public static double? UptimePercent(long checks, long maintenance, long failures)
    {
        var counted = checks - maintenance;
        return counted <= 0 ? null : Math.Floor(100_000.0 * (counted - failures) / counted) / 1000;
    }

    public static double? UptimePercent(Rollup r) => UptimePercent(r.Checks, r.Maintenance, r.Failures);

    /// <summary>The 95th percentile by the nearest-rank method: a value that really occurred. Sorts in place.</summary>
    public static int? Percentile95(List<int> values)
    {
        if (values.Count == 0)
        {
            return null;
        }
        values.Sort();
        return values[(int)Math.Ceiling(0.95 * values.Count) - 1];
    }

    /// <summary>
    /// Whether a check's response time goes into the response-time figures: only checks that got an answer
    /// (up or degraded). A down check's time is a timeout or an instant refusal and would bend the chart.
    /// </summary>
    public static bool IsTimed(RawCheck c) => c.ResponseMs is not null && c.Outcome is CheckOutcome.Up or CheckOutcome.Degraded;

    /// <summary>The aggregate of the raw checks of one period; <paramref name="incidents"/> = changes to down in it.</summary>
    public static Rollup Aggregate(int monitorId, DateTimeOffset start, IEnumerable<RawCheck> checks, int incidents)
    {
        var rollup = new Rollup { MonitorId = monitorId, Start = start, Incidents = incidents };
        var times = new List<int>();
        foreach (var c in checks)
        {
            if (c.Outcome == CheckOutcome.Missed)
            {
                rollup.Missed++;
                continue;
            }
            rollup.Checks++;
            if (c.InMaintenance)
            {
                rollup.Maintenance++;
            }
            else if (c.Outcome == CheckOutcome.Down)
            {
                rollup.Failures++;
            }
            else if (c.Outcome == CheckOutcome.Degraded)
            {
                rollup.Degraded++;
            }
            if (IsTimed(c))
            {
                times.Add(c.ResponseMs!.Value);
            }
        }
        if (times.Count > 0)
        {
            rollup.TimedChecks = times.Count;
            rollup.SumMs = times.Sum(t => (long)t);
            rollup.MinMs = times.Min();
            rollup.MaxMs = times.Max();
            rollup.P95Ms = Percentile95(times);
        }
        return rollup;
    }

    /// <summary>
    /// The aggregate of several periods (the hours of a day). Counts, sums, min and max combine exactly; a
    /// percentile does not, so the caller passes the day's p95 computed from raw values when it has them, and
    /// otherwise the largest of the parts' p95s is used: an upper bound, never an optimistic guess.
    /// </summary>
    public static Rollup Combine(int monitorId, DateTimeOffset start, IReadOnlyCollection<Rollup> parts, int? exactP95)
    {
        var timed = parts.Where(p => p.TimedChecks > 0).ToList();
        return new Rollup
        {
            MonitorId = monitorId,
            Start = start,
            Checks = parts.Sum(p => p.Checks),
            Failures = parts.Sum(p => p.Failures),
            Degraded = parts.Sum(p => p.Degraded),
            Missed = parts.Sum(p => p.Missed),
            Maintenance = parts.Sum(p => p.Maintenance),
            Incidents = parts.Sum(p => p.Incidents),
            TimedChecks = timed.Sum(p => p.TimedChecks),
            SumMs = timed.Sum(p => p.SumMs),
            MinMs = timed.Count > 0 ? timed.Min(p => p.MinMs) : null,
            MaxMs = timed.Count > 0 ? timed.Max(p => p.MaxMs) : null,
            P95Ms = timed.Count == 0 ? null : exactP95 ?? timed.Max(p => p.P95Ms),
        };
    }
}
