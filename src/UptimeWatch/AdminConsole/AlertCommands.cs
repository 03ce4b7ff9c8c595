using System.Globalization;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>Alerts as the console lists them, and acknowledging one (through the single writer, in its monitor's turn).</summary>
internal sealed partial class AlertCommands(
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    JournalWriter writer,
    TimeProvider time,
    ILogger<AlertCommands> logger)
{
    public async Task<AlertsResponse> ListAsync(ListAlerts request, CancellationToken cancellationToken)
    {
        var (openOnly, limit) = (request.OpenOnly, request.Limit ?? 100);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = from a in db.Alerts.AsNoTracking()
                    join m in db.Monitors.AsNoTracking() on a.MonitorId equals m.Id
                    select new { Alert = a, m.Slug, m.Name };
        if (openOnly)
        {
            query = query.Where(x => x.Alert.ResolvedAt == null);
        }
        var alerts = await query.OrderByDescending(x => x.Alert.Id).Take(limit).ToListAsync(cancellationToken);
        return new AlertsResponse([.. alerts.Select(x => AlertViews.From(x.Alert, x.Slug, x.Name))]);
    }

    public async Task<AlertView> AcknowledgeAsync(long id, string by, string? note, CancellationToken cancellationToken)
    {
        var acknowledged = await writer.AppendAndWaitAsync(
            new AlertAcknowledgement(id, by, string.IsNullOrWhiteSpace(note) ? null : note.Trim(), time.GetUtcNow()), cancellationToken);
        var alert = acknowledged.Alert
            ?? throw AdminCommandException.NotFound("alert", id.ToString(CultureInfo.InvariantCulture));
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var monitor = await db.Monitors.AsNoTracking().Where(m => m.Id == alert.MonitorId).Select(m => new { m.Slug, m.Name }).FirstAsync(cancellationToken);
        LogAcknowledged(id, monitor.Slug, by);
        return AlertViews.From(alert, monitor.Slug, monitor.Name);
    }

    [LoggerMessage(LogLevel.Information, "Alert {AlertId} of {Monitor} acknowledged by {By}")]
    private partial void LogAcknowledged(long alertId, string monitor, string by);
}
