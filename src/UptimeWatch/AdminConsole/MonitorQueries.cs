using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.StatusPage;
using UptimeWatch.Storage;

using UptimeWatch.Scheduling;

namespace UptimeWatch.AdminConsole;

/// <summary>The read side of the console's monitors: views, recent checks and the export, from the stored state.</summary>
internal sealed class MonitorQueries(
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    MonitorRegistry registry,
    IConfiguration configuration,
    TimeProvider time,
    Microsoft.Extensions.Options.IOptions<Configuration.UptimeWatchOptions> options)
{
    /// <summary>How many recent checks a monitor view carries (for a sparkline).</summary>
    public const int RecentChecks = 30;

    public async Task<MonitorsResponse> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Monitors.AsNoTracking().Where(m => m.ArchivedAt == null)
            .OrderBy(m => m.Group).ThenBy(m => m.Name).ToListAsync(cancellationToken);
        return new MonitorsResponse(await ViewsAsync(db, rows, cancellationToken));
    }

    public async Task<MonitorView> GetAsync(string slug, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await ActiveRowAsync(db, slug, cancellationToken);
        return (await ViewsAsync(db, [row], cancellationToken))[0];
    }

    /// <summary>
    /// A monitor's most recent checks, newest first, with the probe's own error text: the public sees only its category
    /// and short text, so this is where an operator reads what failed (private monitors included).
    /// </summary>
    public async Task<ChecksResponse> ChecksAsync(string slug, int take, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await ActiveRowAsync(db, slug, cancellationToken);
        return new ChecksResponse(await CheckHistory.RecentAsync(db, row.Id, take, fullText: true, options.Value.Location, cancellationToken));
    }

    /// <summary><c>{ "UptimeWatch": { "Monitors": [...] } }</c>, ready to paste into appsettings.json.</summary>
    public async Task<JsonObject> ExportAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Monitors.AsNoTracking().Where(m => m.ArchivedAt == null).OrderBy(m => m.Id).ToListAsync(cancellationToken);
        var monitors = new JsonArray();
        foreach (var row in rows)
        {
            var fields = new Dictionary<string, string?>(MonitorRows.ToDefinition(row).Fields, StringComparer.OrdinalIgnoreCase);
            if (row.PushToken is { } token && !fields.ContainsKey("PushToken"))
            {
                // Keep the push URL the monitor's callers already use.
                fields["PushToken"] = token;
            }
            monitors.Add(MonitorJson.Nest(fields, mask: false));
        }
        return new JsonObject { ["UptimeWatch"] = new JsonObject { ["Monitors"] = monitors } };
    }

    public static async Task<MonitorEntity> ActiveRowAsync(UptimeWatchDbContext db, string slug, CancellationToken cancellationToken) =>
        await db.Monitors.FirstOrDefaultAsync(m => m.Slug == slug && m.ArchivedAt == null, cancellationToken)
            ?? throw AdminCommandException.NotFound("monitor", slug);

    /// <summary>The running monitor of a slug (pause, resume, check now, maintenance act on it).</summary>
    public MonitorRuntime Runtime(string slug) =>
        registry.Active.FirstOrDefault(m => m.Definition.Slug == slug) ?? throw AdminCommandException.NotFound("monitor", slug);

    private async Task<IReadOnlyList<MonitorView>> ViewsAsync(UptimeWatchDbContext db, IReadOnlyList<MonitorEntity> rows, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ids = rows.Select(r => r.Id).ToList();
        var windows = (await db.MaintenanceEntries.AsNoTracking().Where(w => ids.Contains(w.MonitorId) && w.End > now)
                .OrderBy(w => w.Start).ToListAsync(cancellationToken))
            .ToLookup(w => w.MonitorId);
        var file = Configuration.ConfigurationExtensions.MonitorsFile(configuration);
        var views = new List<MonitorView>(rows.Count);
        foreach (var row in rows)
        {
            // Newest first through the (monitor, time) index, one small read per monitor.
            var recent = await db.CheckResults.AsNoTracking()
                .Where(c => c.MonitorId == row.Id && c.Outcome != CheckOutcome.Missed)
                .OrderByDescending(c => c.At).Take(RecentChecks)
                .Select(c => new { c.At, c.Outcome, c.ResponseMs })
                .ToListAsync(cancellationToken);
            // The stored state, not the in-memory one: that is ahead by what the writer has not committed yet, and
            // the status shown must never be one whose check is not among the recent ones.
            var state = MonitorRows.ToState(row);
            // The registry holds the validated definition; only a monitor it does not know is validated again here.
            var definition = registry.TryGet(row.Id, out var runtime) ? runtime.Definition : MonitorRows.ToDefinition(row);
            views.Add(new MonitorView(
                row.Slug, row.Name, row.Group, row.Type, row.Target, row.IntervalSeconds, row.IsPublic, row.Source,
                row.Source == ConfigMonitorSync.ConfigSource ? file : null,
                StatusWords.Display(state.Status, state.ConsecutiveFailures), row.StatusSince, row.LastCheckedAt, row.LastResponseMs,
                row.PushToken is { } token ? $"/api/push/{token}" : null,
                [.. recent.AsEnumerable().Reverse().Select(c => new RecentCheck(c.At, c.Outcome.ToString().ToLowerInvariant(), c.ResponseMs))],
                [.. windows[row.Id].Select(w => new MaintenanceView(w.Id, row.Slug, w.Start, w.End, w.Reason))],
                MonitorJson.Nest(definition.Fields, mask: true))
            {
                Flapping = state.Flapping,
                Locations = runtime is { ByQuorum: true } ? LocationRows(runtime, time.GetUtcNow()) : null,
            });
        }
        return views;
    }

    /// <summary>What each location of a monitor judged by quorum says now (in memory: what its checks confirmed so far).</summary>
    private static IReadOnlyList<LocationRow> LocationRows(MonitorRuntime runtime, DateTimeOffset now) =>
        [.. runtime.Locations(now).Select(l => new LocationRow(l.View.Name,
            l.Offline ? "offline" : l.View.CutOff ? "cut-off" : StatusWords.Text(l.View.Status), l.View.LastReportAt))];

}
