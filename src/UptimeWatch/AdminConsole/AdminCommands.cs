using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Configuration;
using UptimeWatch.Live;
using UptimeWatch.Monitoring;
using UptimeWatch.Probing;
using UptimeWatch.Scheduling;
using UptimeWatch.StatusPage;
using UptimeWatch.Storage;
using UptimeWatch.Journal;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// Every admin operation, once, for both transports (the WebSocket and the REST write API). Refusals are thrown as
/// <see cref="AdminCommandException"/>; <c>by</c> arguments name who asked (for the log, the event log and alerts).
/// </summary>
/// <remarks>
/// Definitions (create, update, delete) change under the <see cref="DefinitionGate"/> like a config reload, then the
/// registry is reloaded and the schedule reconciled. Operations on the running monitor (pause, resume, acknowledge)
/// go through the single writer, in the monitor's turn, so they are ordered with the checks around them.
/// </remarks>
internal sealed partial class AdminCommands(
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    MonitorRegistry registry,
    ConfigMonitorSync sync,
    ConfigReloader reloader,
    DefinitionGate gate,
    ScheduleReconciler reconciler,
    JournalWriter writer,
    CheckNow checkNow,
    ProbeRunner probes,
    LivePublisher live,
    Alerting.NotificationDispatcher dispatcher,
    Microsoft.Extensions.Options.IOptions<Configuration.UptimeWatchOptions> options,
    IConfiguration configuration,
    TimeProvider time,
    ILogger<AdminCommands> logger)
{
    /// <summary>How many recent checks a monitor view carries (for a sparkline).</summary>
    public const int RecentChecks = 30;

    public const int MaxAlerts = 1000;

    /// <summary>What secret values read as; sent back unchanged in an update, it keeps the stored value.</summary>
    public const string Mask = "********";

    public async Task<IReadOnlyList<MonitorView>> ListMonitorsAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Monitors.AsNoTracking().Where(m => m.ArchivedAt == null)
            .OrderBy(m => m.Group).ThenBy(m => m.Name).ToListAsync(cancellationToken);
        return await ViewsAsync(db, rows, cancellationToken);
    }

    public async Task<MonitorView> GetMonitorAsync(string slug, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await ActiveRowAsync(db, slug, cancellationToken);
        return (await ViewsAsync(db, [row], cancellationToken))[0];
    }

    /// <summary>How many checks one <see cref="ChecksAsync"/> answer may hold.</summary>
    public const int MaxChecks = 1000;

    /// <summary>
    /// A monitor's most recent checks, newest first, with the probe's own error text: the public sees only its category
    /// and short text, so this is where an operator reads what failed (private monitors included).
    /// </summary>
    public async Task<IReadOnlyList<CheckDto>> ChecksAsync(string slug, int? limit, CancellationToken cancellationToken)
    {
        var take = limit ?? 50;
        if (take is < 1 or > MaxChecks)
        {
            throw AdminCommandException.BadRequest("limit", limit?.ToString(CultureInfo.InvariantCulture), $"must be from 1 to {MaxChecks}");
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await ActiveRowAsync(db, slug, cancellationToken);
        return await StatusApi.RecentChecksAsync(db, row.Id, take, fullText: true, cancellationToken);
    }

    public async Task<MonitorView> CreateMonitorAsync(IReadOnlyDictionary<string, string?> fields, string by, CancellationToken cancellationToken)
    {
        var definition = Validate(fields);
        using (await gate.EnterAsync(cancellationToken))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var row = await db.Monitors.FirstOrDefaultAsync(m => m.Slug == definition.Slug, cancellationToken);
            if (row is { ArchivedAt: null })
            {
                throw NameTaken(definition, row);
            }
            var now = time.GetUtcNow();
            if (row is null)
            {
                row = new MonitorEntity
                {
                    Slug = definition.Slug, Name = definition.Name, Type = "", Target = "", Definition = "",
                    Source = ConfigMonitorSync.ConsoleSource, CreatedAt = now,
                    Status = MonitorStatus.Unknown, BaseStatus = MonitorStatus.Unknown,
                };
                db.Monitors.Add(row);
            }
            // A deleted monitor of the same name comes back with its history, as it does in the config file.
            row.ArchivedAt = null;
            row.Source = ConfigMonitorSync.ConsoleSource;
            row.UpdatedAt = now;
            MonitorRows.Apply(definition, row);
            await SaveDefinitionAsync(db, definition, row, cancellationToken);
            LogCreated(definition.Slug, by);
            live.PublishAdmin("monitors.changed", new MonitorsChanged(definition.Slug, "created"));
        }
        return await GetMonitorAsync(definition.Slug, cancellationToken);
    }

    public async Task<MonitorView> UpdateMonitorAsync(string slug, IReadOnlyDictionary<string, string?> fields, string by, CancellationToken cancellationToken)
    {
        MonitorDefinition definition;
        using (await gate.EnterAsync(cancellationToken))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var row = await ActiveRowAsync(db, slug, cancellationToken);
            RefuseConfigManaged(row, "changed");
            definition = Validate(KeepSecrets(fields, MonitorRows.ToDefinition(row).Fields));
            if (definition.Slug != row.Slug
                && await db.Monitors.FirstOrDefaultAsync(m => m.Slug == definition.Slug, cancellationToken) is { } other)
            {
                throw NameTaken(definition, other);
            }
            if (MonitorRows.Apply(definition, row) | sync.AssignPushToken(definition, row))
            {
                row.Slug = definition.Slug;
                row.UpdatedAt = time.GetUtcNow();
                await SaveDefinitionAsync(db, definition, row, cancellationToken);
                LogUpdated(slug, definition.Slug, by);
                live.PublishAdmin("monitors.changed", new MonitorsChanged(definition.Slug, "updated"));
            }
        }
        return await GetMonitorAsync(definition.Slug, cancellationToken);
    }

    public async Task DeleteMonitorAsync(string slug, string by, CancellationToken cancellationToken)
    {
        using (await gate.EnterAsync(cancellationToken))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var row = await ActiveRowAsync(db, slug, cancellationToken);
            RefuseConfigManaged(row, "deleted");
            // Its open alert is resolved first, while the monitor is still known to the live stream.
            await writer.AppendAndWaitAsync(new MonitorArchived(row.Id, by, time.GetUtcNow()), cancellationToken);
            row.ArchivedAt = time.GetUtcNow();
            row.UpdatedAt = row.ArchivedAt.Value;
            await db.SaveChangesAsync(cancellationToken);
            await registry.LoadAsync(cancellationToken);
            await reconciler.ReconcileAsync(cancellationToken);
            LogDeleted(slug, by);
            live.PublishAdmin("monitors.changed", new MonitorsChanged(slug, "deleted"));
        }
    }

    public Task<MonitorView> PauseAsync(string slug, string by, CancellationToken cancellationToken) =>
        SetPausedAsync(slug, by, pause: true, cancellationToken);

    public Task<MonitorView> ResumeAsync(string slug, string by, CancellationToken cancellationToken) =>
        SetPausedAsync(slug, by, pause: false, cancellationToken);

    private async Task<MonitorView> SetPausedAsync(string slug, string by, bool pause, CancellationToken cancellationToken)
    {
        var monitor = Runtime(slug);
        using (await gate.EnterAsync(cancellationToken))
        {
            Task<Committed>? stored = null;
            using (await monitor.EnterAsync(cancellationToken))
            {
                var now = time.GetUtcNow();
                if ((pause ? monitor.Pause(now, by) : monitor.Resume(now, by)) is { } judgement)
                {
                    // Once changed in memory, it must be stored even if the caller goes away now.
                    stored = await writer.AppendAwaitedAsync(CheckWrite.From(judgement), CancellationToken.None);
                }
            }
            if (stored is not null)
            {
                // The view returned below is read from the database: it must already say paused (or resumed).
                await stored.WaitAsync(cancellationToken);
                await reconciler.ReconcileAsync(cancellationToken);
                if (pause)
                {
                    LogPaused(slug, by);
                }
                else
                {
                    LogResumed(slug, by);
                    if (monitor.Definition.Type != MonitorType.Push)
                    {
                        // Judge it again at once rather than at the next slot, up to an interval away. (A push monitor
                        // waits for its sender, who has a whole period from now.)
                        _ = FireAndForgetCheckAsync(monitor.Id);
                    }
                }
            }
        }
        return await GetMonitorAsync(slug, cancellationToken);
    }

    private async Task FireAndForgetCheckAsync(int monitorId)
    {
        try
        {
            await checkNow.RunAsync(monitorId, TimeSpan.FromMinutes(2), CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFirstCheckFailed(ex, monitorId);
        }
    }

    public async Task<CheckNowResult> CheckNowAsync(string slug, CancellationToken cancellationToken)
    {
        var monitor = Runtime(slug);
        var definition = monitor.Definition;
        if (monitor.State.Status == MonitorStatus.Paused)
        {
            // Paused: tell what the target does now, without judging or storing it.
            var at = time.GetUtcNow();
            var found = await probes.CheckAsync(definition, cancellationToken);
            return Result(definition.Slug, at, found, recorded: false, "paused");
        }
        // The probe's own deadline, plus room for a scheduled check of this monitor that may be running first.
        var deadline = TimeSpan.FromSeconds(2 * (definition.TimeoutSeconds > 0 ? definition.TimeoutSeconds : 10) + 10);
        CheckNowOutcome outcome;
        try
        {
            outcome = await checkNow.RunAsync(monitor.Id, deadline, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new AdminCommandException(AdminErrorCodes.Internal,
                $"The check of \"{slug}\" did not finish within {deadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        return Result(definition.Slug, outcome.At, outcome.Result, recorded: outcome.Result.NothingNewUntil is null,
            StatusWords.Display(outcome.State.Status, outcome.State.ConsecutiveFailures)) with { Flapping = outcome.State.Flapping };
    }

    private static CheckNowResult Result(string slug, DateTimeOffset at, ProbeResult result, bool recorded, string status) =>
        new(slug, at, result.Verdict.ToString().ToLowerInvariant(), result.NothingNewUntil is null ? result.ElapsedMs : null, result.HttpStatus,
            result.Error ?? result.Summary, recorded, status);

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

    public async Task<IReadOnlyList<AlertView>> ListAlertsAsync(bool openOnly, int limit, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxAlerts)
        {
            throw AdminCommandException.BadRequest("limit", limit.ToString(CultureInfo.InvariantCulture), $"must be from 1 to {MaxAlerts}");
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = from a in db.Alerts.AsNoTracking()
                    join m in db.Monitors.AsNoTracking() on a.MonitorId equals m.Id
                    select new { Alert = a, m.Slug, m.Name };
        if (openOnly)
        {
            query = query.Where(x => x.Alert.ResolvedAt == null);
        }
        var alerts = await query.OrderByDescending(x => x.Alert.Id).Take(limit).ToListAsync(cancellationToken);
        return [.. alerts.Select(x => AlertViews.From(x.Alert, x.Slug, x.Name))];
    }

    public async Task<AlertView> AcknowledgeAlertAsync(long id, string by, string? note, CancellationToken cancellationToken)
    {
        if (note is { Length: > 1000 })
        {
            throw AdminCommandException.BadRequest("note", null, "is longer than 1000 characters");
        }
        var acknowledged = await writer.AppendAndWaitAsync(
            new AlertAcknowledgement(id, by, string.IsNullOrWhiteSpace(note) ? null : note.Trim(), time.GetUtcNow()), cancellationToken);
        var alert = acknowledged.Alert
            ?? throw AdminCommandException.NotFound("alert", id.ToString(CultureInfo.InvariantCulture));
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var monitor = await db.Monitors.AsNoTracking().Where(m => m.Id == alert.MonitorId).Select(m => new { m.Slug, m.Name }).FirstAsync(cancellationToken);
        LogAcknowledged(id, monitor.Slug, by);
        return AlertViews.From(alert, monitor.Slug, monitor.Name);
    }

    public async Task<MaintenanceView> CreateMaintenanceAsync(string slug, DateTimeOffset? start, DateTimeOffset? end, int? minutes, string? reason,
        string by, CancellationToken cancellationToken)
    {
        var monitor = Runtime(slug);
        var now = time.GetUtcNow();
        var from = start ?? now;
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
        using (await gate.EnterAsync(cancellationToken))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            db.MaintenanceEntries.Add(entry);
            await db.SaveChangesAsync(cancellationToken);
            await registry.LoadAsync(cancellationToken);
        }
        LogMaintenance(slug, from, to, by);
        live.PublishAdmin("monitors.changed", new MonitorsChanged(slug, "updated"));
        return new MaintenanceView(entry.Id, slug, entry.Start, entry.End, entry.Reason);
    }

    public async Task DeleteMaintenanceAsync(long id, CancellationToken cancellationToken)
    {
        string slug;
        using (await gate.EnterAsync(cancellationToken))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var entry = await db.MaintenanceEntries.FindAsync([id], cancellationToken)
                ?? throw AdminCommandException.NotFound("maintenance window", id.ToString(CultureInfo.InvariantCulture));
            slug = await db.Monitors.Where(m => m.Id == entry.MonitorId).Select(m => m.Slug).FirstAsync(cancellationToken);
            db.MaintenanceEntries.Remove(entry);
            await db.SaveChangesAsync(cancellationToken);
            await registry.LoadAsync(cancellationToken);
        }
        live.PublishAdmin("monitors.changed", new MonitorsChanged(slug, "updated"));
    }

    /// <summary>The configured channels, secrets left out.</summary>
    public IReadOnlyList<ChannelView> ListChannels() =>
        [.. options.Value.Alerting.Channels.Select(c => new ChannelView(c.Name, c.Type, Alerting.ChannelConfigReader.Describe(c).Destination))];

    /// <summary>Sends a test notification to one channel now and says what the receiver answered.</summary>
    public async Task<ChannelTestResult> TestChannelAsync(string name, string by, CancellationToken cancellationToken)
    {
        var outcome = await dispatcher.SendTestAsync(name, by, cancellationToken);
        return new ChannelTestResult(name, outcome.Delivered, outcome.StatusCode, outcome.Error);
    }

    /// <summary>The newest notifications in the outbox, each with its delivery attempts.</summary>
    public async Task<IReadOnlyList<NotificationView>> ListNotificationsAsync(int limit, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 500)
        {
            throw AdminCommandException.BadRequest("limit", limit.ToString(CultureInfo.InvariantCulture), "must be from 1 to 500");
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await (from n in db.Notifications.AsNoTracking()
                          join m in db.Monitors.AsNoTracking() on n.MonitorId equals m.Id
                          orderby n.Id descending
                          select new { Notification = n, m.Slug })
            .Take(limit).ToListAsync(cancellationToken);
        var ids = rows.Select(r => r.Notification.Id).ToList();
        var attempts = (await db.DeliveryAttempts.AsNoTracking().Where(a => ids.Contains(a.NotificationId)).OrderBy(a => a.Id).ToListAsync(cancellationToken))
            .ToLookup(a => a.NotificationId);
        return [.. rows.Select(r => r.Notification is var n
            ? new NotificationView(n.Id, n.Key, n.AlertId, r.Slug, n.Channel, n.Event, n.State.ToString().ToLowerInvariant(), n.Attempts, n.CreatedAt,
                n.State == NotificationState.Pending ? n.NextAttemptAt : null, n.DoneAt, n.LastError,
                [.. attempts[n.Id].Select(a => new AttemptView(a.At, a.Delivered, a.StatusCode, a.Error, a.DurationMs))])
            : null!)];
    }

    /// <summary>Whether writes to the database have been failing too long (a full disk), since when, and why.</summary>
    public StorageStatus StorageStatus() => writer.Status();

    public ConfigStatus ConfigStatus() => new(Configuration.ConfigurationExtensions.MonitorsFile(configuration), reloader.LastErrors);

    private MonitorDefinition Validate(IReadOnlyDictionary<string, string?> fields)
    {
        var errors = new List<FieldError>();
        var definition = MonitorValidator.Validate(fields, errors);
        if (definition is not null)
        {
            errors.AddRange(Alerting.AlertPolicy.UnknownChannels(definition, options.Value.Alerting)
                .Select(problem => new FieldError("Alerts:Channels", null, problem["Alerts:Channels ".Length..])));
        }
        if (definition is null || errors.Count > 0)
        {
            var byField = errors.GroupBy(e => e.Field, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => string.Join("; ", g.Select(e => e.Message)), StringComparer.OrdinalIgnoreCase);
            throw new AdminCommandException(AdminErrorCodes.Validation, string.Join("; ", errors.Select(e => e.ToString())), byField);
        }
        return definition;
    }

    /// <summary>Secret fields sent back as the mask keep the stored value.</summary>
    private static Dictionary<string, string?> KeepSecrets(IReadOnlyDictionary<string, string?> fields, IReadOnlyDictionary<string, string?> stored)
    {
        var result = new Dictionary<string, string?>(fields, StringComparer.OrdinalIgnoreCase);
        var old = new Dictionary<string, string?>(stored, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in fields)
        {
            if (value == Mask && MonitorJson.IsSecret(key) && old.TryGetValue(key, out var kept))
            {
                result[key] = kept;
            }
        }
        return result;
    }

    private async Task SaveDefinitionAsync(UptimeWatchDbContext db, MonitorDefinition definition, MonitorEntity row, CancellationToken cancellationToken)
    {
        sync.AssignPushToken(definition, row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (definition.Push?.Token is { } token)
        {
            throw new AdminCommandException(AdminErrorCodes.Conflict, $"PushToken is already used by another monitor",
                new Dictionary<string, string> { ["PushToken"] = "is already used by another monitor" });
        }
        await registry.LoadAsync(cancellationToken);
        await reconciler.ReconcileAsync(cancellationToken);
    }

    private static AdminCommandException NameTaken(MonitorDefinition definition, MonitorEntity other)
    {
        var message = other.ArchivedAt is null
            ? $"another monitor (\"{other.Name}\") already has the identifier \"{definition.Slug}\": choose another name"
            : $"the identifier \"{definition.Slug}\" belongs to a deleted monitor whose history is kept: choose another name";
        return new AdminCommandException(AdminErrorCodes.Conflict, $"Name \"{definition.Name}\": {message}",
            new Dictionary<string, string> { ["Name"] = message });
    }

    private void RefuseConfigManaged(MonitorEntity row, string verb)
    {
        if (row.Source == ConfigMonitorSync.ConfigSource)
        {
            var file = Configuration.ConfigurationExtensions.MonitorsFile(configuration);
            throw new AdminCommandException(AdminErrorCodes.ConfigManaged,
                $"Monitor \"{row.Slug}\" is defined in {(file is null ? "the config file" : file)} and cannot be {verb} here: "
                + "edit the file (it is reloaded when saved). Pausing, checking now and maintenance windows work here.");
        }
    }

    private static async Task<MonitorEntity> ActiveRowAsync(UptimeWatchDbContext db, string slug, CancellationToken cancellationToken) =>
        await db.Monitors.FirstOrDefaultAsync(m => m.Slug == slug && m.ArchivedAt == null, cancellationToken)
            ?? throw AdminCommandException.NotFound("monitor", slug);

    private MonitorRuntime Runtime(string slug) =>
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
                MonitorJson.Nest(definition.Fields, mask: true)) { Flapping = state.Flapping });
        }
        return views;
    }

    [LoggerMessage(LogLevel.Information, "Monitor {Monitor} created by {By}")]
    private partial void LogCreated(string monitor, string by);

    [LoggerMessage(LogLevel.Information, "Monitor {Monitor} changed by {By} (now {NewSlug})")]
    private partial void LogUpdated(string monitor, string newSlug, string by);

    [LoggerMessage(LogLevel.Information, "Monitor {Monitor} deleted (archived with its history) by {By}")]
    private partial void LogDeleted(string monitor, string by);

    [LoggerMessage(LogLevel.Information, "Monitor {Monitor} paused by {By}")]
    private partial void LogPaused(string monitor, string by);

    [LoggerMessage(LogLevel.Information, "Monitor {Monitor} resumed by {By}")]
    private partial void LogResumed(string monitor, string by);

    [LoggerMessage(LogLevel.Warning, "The first check of resumed monitor {MonitorId} failed to run")]
    private partial void LogFirstCheckFailed(Exception exception, int monitorId);

    [LoggerMessage(LogLevel.Information, "Alert {AlertId} of {Monitor} acknowledged by {By}")]
    private partial void LogAcknowledged(long alertId, string monitor, string by);

    [LoggerMessage(LogLevel.Information, "Maintenance window for {Monitor} from {Start} to {End} set by {By}")]
    private partial void LogMaintenance(string monitor, DateTimeOffset start, DateTimeOffset end, string by);
}
