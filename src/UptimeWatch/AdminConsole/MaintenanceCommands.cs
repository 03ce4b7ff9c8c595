using System.Globalization;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>Maintenance windows set from the console: stored rows the registry reads, so checks and alerts honour them.</summary>
internal sealed partial class MaintenanceCommands(
    MonitorQueries queries,
    DefinitionChanges changes,
    TimeProvider time,
    ILogger<MaintenanceCommands> logger)
{
    public async Task<MaintenanceView> CreateAsync(CreateMaintenance request, string by, CancellationToken cancellationToken)
    {
        var (slug, end, minutes, reason) = (request.Slug!, request.End, request.Minutes, request.Reason);
        var monitor = queries.Runtime(slug);
        var now = time.GetUtcNow();
        var from = request.Start ?? now;
        // Checked here, not in the request: "in the past" is relative to the server's clock, and an unknown monitor
        // is not_found before its window is judged.
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (end is not null && minutes is not null)
        {
            errors["minutes"] = "cannot be given together with end";
        }
        else if (end is null && minutes is null)
        {
            errors["end"] = "or minutes is required: when the window ends";
        }
        else if (minutes is < 1 or > 525_600)
        {
            errors["minutes"] = "must be a whole number of minutes from 1 to 525600 (a year)";
        }
        var to = end ?? from.AddMinutes(minutes ?? 0);
        if (errors.Count == 0 && to <= from)
        {
            errors["end"] = "must be after start";
        }
        else if (errors.Count == 0 && to <= now)
        {
            errors["end"] = "is in the past";
        }
        if (reason is { Length: > 500 })
        {
            errors["reason"] = "is longer than 500 characters";
        }
        if (errors.Count > 0)
        {
            var values = new Dictionary<string, string?>
            {
                ["minutes"] = minutes?.ToString(CultureInfo.InvariantCulture), ["end"] = end?.ToString("O", CultureInfo.InvariantCulture), ["reason"] = null,
            };
            throw new AdminCommandException(AdminErrorCodes.Validation,
                string.Join("; ", errors.Select(e => values.GetValueOrDefault(e.Key) is { } v ? $"{e.Key} \"{v}\" {e.Value}" : $"{e.Key} {e.Value}")), errors);
        }

        var entry = new MaintenanceEntry
        {
            MonitorId = monitor.Id, Start = from, End = to, Reason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim(),
            CreatedBy = by, CreatedAt = now,
        };
        await changes.ApplyAsync((db, _) =>
        {
            db.MaintenanceEntries.Add(entry);
            return Task.FromResult<DefinitionChange?>(new DefinitionChange(slug, "updated", Reconcile: false));
        }, cancellationToken);
        LogMaintenance(slug, from, to, by);
        return new MaintenanceView(entry.Id, slug, entry.Start, entry.End, entry.Reason);
    }

    public async Task<DeletedMaintenance> DeleteAsync(long id, CancellationToken cancellationToken)
    {
        await changes.ApplyAsync(async (db, ct) =>
        {
            var entry = await db.MaintenanceEntries.FindAsync([id], ct)
                ?? throw AdminCommandException.NotFound("maintenance window", id.ToString(CultureInfo.InvariantCulture));
            var slug = await db.Monitors.Where(m => m.Id == entry.MonitorId).Select(m => m.Slug).FirstAsync(ct);
            db.MaintenanceEntries.Remove(entry);
            return new DefinitionChange(slug, "updated", Reconcile: false);
        }, cancellationToken);
        return new DeletedMaintenance(id, true);
    }

    [LoggerMessage(LogLevel.Information, "Maintenance window for {Monitor} from {Start} to {End} set by {By}")]
    private partial void LogMaintenance(string monitor, DateTimeOffset start, DateTimeOffset end, string by);
}
