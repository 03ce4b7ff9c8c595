using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Storage;

/// <summary>A database from when flapping was a status: its rows read as a status plus the flag after the migration.</summary>
[Trait("Storage", "SqliteFile")]
public sealed class FlappingMigrationTests
{
    private const string BeforeFlag = "20261130152208_DropCheckResultsAtIndex";

    [Fact]
    public async Task Monitors_and_events_stored_as_flapping_read_as_their_real_status_with_the_flag()
    {
        var old = await OldDatabase.MigratedToAsync(BeforeFlag);
        // What the old version wrote: up, then flapping (shown instead of the status), an acknowledgement while it
        // flapped, then settled down; a second monitor still flapping with "down" underneath.
        await old.ExecuteAsync("""
            INSERT INTO monitors (Id, Slug, Name, Type, Target, IntervalSeconds, IsPublic, Definition, Source, CreatedAt, UpdatedAt,
                Status, BaseStatus, ConsecutiveFailures, ConsecutiveSuccesses, VerdictHistory, IsFlapping)
            VALUES (1, 'shop', 'Shop', 'http', 'https://example.test/', 60, 1, '{}', 'test', 0, 0, 'Down', 'Down', 9, 0, 'UDUDDDDDDDD', 0),
                   (2, 'blog', 'Blog', 'http', 'https://example.test/', 60, 1, '{}', 'test', 0, 0, 'Flapping', 'Down', 1, 0, 'UDUDUD', 1);
            INSERT INTO status_events (Id, MonitorId, "From", "To", At, Reason, Kind, AlertId) VALUES
                (1, 1, 'Unknown', 'Up', 1000, '1 consecutive success', 0, NULL),
                (2, 1, 'Up', 'Flapping', 2000, 'flapping: 25%', 0, NULL),
                (3, 1, 'Flapping', 'Flapping', 2500, 'alert acknowledged by admin', 1, 1),
                (4, 1, 'Flapping', 'Down', 3000, 'stopped flapping (5% state change)', 0, NULL),
                (5, 2, 'Unknown', 'Flapping', 4000, 'flapping: 30%', 0, NULL);
            """);

        await old.MigrateAsync();

        await using (var db = old.Open())
        {
            var monitors = await db.Monitors.AsNoTracking().OrderBy(m => m.Id).Select(m => new { m.Status, m.IsFlapping }).ToListAsync();
            Assert.Equal([new { Status = MonitorStatus.Down, IsFlapping = false }, new { Status = MonitorStatus.Down, IsFlapping = true }], monitors);
            var events = await db.StatusEvents.AsNoTracking().OrderBy(e => e.Id).Select(e => new { e.From, e.To, e.Flapping }).ToListAsync();
            Assert.Equal(
            [
                new { From = MonitorStatus.Unknown, To = MonitorStatus.Up, Flapping = false },
                // Flapping started: the status it had, with the flag.
                new { From = MonitorStatus.Up, To = MonitorStatus.Up, Flapping = true },
                // The acknowledgement while it flapped.
                new { From = MonitorStatus.Up, To = MonitorStatus.Up, Flapping = true },
                // Settled down: from the status it had before it flapped.
                new { From = MonitorStatus.Up, To = MonitorStatus.Down, Flapping = false },
                new { From = MonitorStatus.Unknown, To = MonitorStatus.Unknown, Flapping = true },
            ], events);
            Assert.False(await db.StatusEvents.AnyAsync(e => e.From == MonitorStatus.Flapping || e.To == MonitorStatus.Flapping));
        }
    }
}
