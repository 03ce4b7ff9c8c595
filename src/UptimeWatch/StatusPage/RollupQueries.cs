using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.StatusPage;

/// <summary>
/// Uptime over the page's periods, read only from aggregates: 24 h from the last 24 hourly rows (the current,
/// partial hour and the 23 before it), 7/30/90 d from that many UTC days of daily rows (today's included, kept
/// fresh by the rollup job). The cost depends on the number of monitors, never on the age of the history.
/// </summary>
internal static class RollupQueries
{
    /// <summary>The periods the page and the badges know, in display order.</summary>
    public static readonly IReadOnlyList<string> Periods = ["24h", "7d", "30d", "90d"];

    public const int Hours = 24;
    public const int Days = 90;

    public static DateTimeOffset FirstHour(DateTimeOffset now) => RollupMath.HourOf(now).AddHours(1 - Hours);

    public static DateTimeOffset FirstDay(DateTimeOffset now, int days) => RollupMath.DayOf(now).AddDays(1 - days);

    /// <summary>Days in a period other than 24h; null for a period that is not one of <see cref="Periods"/>.</summary>
    public static int? DaysOf(string period) => period switch
    {
        "7d" => 7,
        "30d" => 30,
        "90d" => 90,
        _ => null,
    };

    /// <summary>Uptime of the rows that fall in a period (rows outside it are ignored).</summary>
    public static double? Uptime(IEnumerable<Rollup> rows, DateTimeOffset from)
    {
        long checks = 0, maintenance = 0, failures = 0;
        foreach (var r in rows)
        {
            if (r.Start >= from)
            {
                checks += r.Checks;
                maintenance += r.Maintenance;
                failures += r.Failures;
            }
        }
        return RollupMath.UptimePercent(checks, maintenance, failures);
    }

    /// <summary>One monitor's uptime over <paramref name="period"/> (one of <see cref="Periods"/>).</summary>
    public static async Task<double?> UptimeAsync(UptimeWatchDbContext db, int monitorId, string period, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (DaysOf(period) is { } days)
        {
            var from = FirstDay(now, days);
            return Uptime(await db.DailyRollups.AsNoTracking().Where(r => r.MonitorId == monitorId && r.Start >= from)
                .ToListAsync(cancellationToken), from);
        }
        var first = FirstHour(now);
        return Uptime(await db.HourlyRollups.AsNoTracking().Where(r => r.MonitorId == monitorId && r.Start >= first)
            .ToListAsync(cancellationToken), first);
    }
}
