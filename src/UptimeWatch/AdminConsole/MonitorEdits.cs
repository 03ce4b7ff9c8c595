using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

using UptimeWatch.Scheduling;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// Creating, changing and deleting console monitors. Definitions change through <see cref="DefinitionChanges"/>,
/// like a config reload; a monitor from the config file is refused (<c>config_managed</c>).
/// </summary>
internal sealed partial class MonitorEdits(
    DefinitionChanges changes,
    MonitorQueries queries,
    ConfigMonitorSync sync,
    JournalWriter writer,
    IOptions<UptimeWatchOptions> options,
    IConfiguration configuration,
    TimeProvider time,
    ILogger<MonitorEdits> logger)
{
    public async Task<MonitorView> CreateAsync(CreateMonitor request, string by, CancellationToken cancellationToken)
    {
        var definition = Validate(MonitorJson.Flatten(request.Monitor!.Value, request.MonitorField));
        await changes.ApplyAsync(async (db, ct) =>
        {
            var row = await db.Monitors.FirstOrDefaultAsync(m => m.Slug == definition.Slug, ct);
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
            sync.AssignPushToken(definition, row);
            return new DefinitionChange(definition.Slug, "created", SaveConflict: PushTokenTaken(definition));
        }, cancellationToken);
        LogCreated(definition.Slug, by);
        return await queries.GetAsync(definition.Slug, cancellationToken);
    }

    public async Task<MonitorView> UpdateAsync(UpdateMonitor request, string by, CancellationToken cancellationToken)
    {
        var slug = request.Slug!;
        MonitorDefinition? definition = null;
        var changed = await changes.ApplyAsync(async (db, ct) =>
        {
            var row = await MonitorQueries.ActiveRowAsync(db, slug, ct);
            RefuseConfigManaged(row, "changed");
            definition = Validate(KeepSecrets(MonitorJson.Flatten(request.Monitor!.Value, request.MonitorField), MonitorRows.ToDefinition(row).Fields));
            if (definition.Slug != row.Slug && await db.Monitors.FirstOrDefaultAsync(m => m.Slug == definition.Slug, ct) is { } other)
            {
                throw NameTaken(definition, other);
            }
            if (!(MonitorRows.Apply(definition, row) | sync.AssignPushToken(definition, row)))
            {
                return null;
            }
            row.Slug = definition.Slug;
            row.UpdatedAt = time.GetUtcNow();
            return new DefinitionChange(definition.Slug, "updated", SaveConflict: PushTokenTaken(definition));
        }, cancellationToken);
        if (changed is not null)
        {
            LogUpdated(slug, definition!.Slug, by);
        }
        return await queries.GetAsync(definition!.Slug, cancellationToken);
    }

    public async Task<DeletedMonitor> DeleteAsync(string slug, string by, CancellationToken cancellationToken)
    {
        await changes.ApplyAsync(async (db, cancellationToken) =>
        {
            var row = await MonitorQueries.ActiveRowAsync(db, slug, cancellationToken);
            RefuseConfigManaged(row, "deleted");
            // Its open alert is resolved first, while the monitor is still known to the live stream.
            await writer.AppendAndWaitAsync(new MonitorArchived(row.Id, by, time.GetUtcNow()), cancellationToken);
            row.ArchivedAt = time.GetUtcNow();
            row.UpdatedAt = row.ArchivedAt.Value;
            return new DefinitionChange(slug, "deleted");
        }, cancellationToken);
        LogDeleted(slug, by);
        return new DeletedMonitor(slug, true);
    }

    private MonitorDefinition Validate(IReadOnlyDictionary<string, string?> fields)
    {
        var errors = new List<FieldError>();
        var definition = MonitorValidator.Validate(fields, errors);
        if (definition is not null)
        {
            errors.AddRange(Configuration.AlertPolicy.UnknownChannels(definition, options.Value.Alerting)
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
            if (value == MonitorJson.Mask && MonitorJson.IsSecret(key) && old.TryGetValue(key, out var kept))
            {
                result[key] = kept;
            }
        }
        return result;
    }

    /// <summary>Only a monitor with its own push token can collide on saving (two monitors, one push URL).</summary>
    private static AdminCommandException? PushTokenTaken(MonitorDefinition definition) =>
        definition.Push?.Token is null
            ? null
            : new AdminCommandException(AdminErrorCodes.Conflict, $"PushToken is already used by another monitor",
                new Dictionary<string, string> { ["PushToken"] = "is already used by another monitor" });

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

    [LoggerMessage(LogLevel.Information, "Monitor {Monitor} created by {By}")]
    private partial void LogCreated(string monitor, string by);

    [LoggerMessage(LogLevel.Information, "Monitor {Monitor} changed by {By} (now {NewSlug})")]
    private partial void LogUpdated(string monitor, string newSlug, string by);

    [LoggerMessage(LogLevel.Information, "Monitor {Monitor} deleted (archived with its history) by {By}")]
    private partial void LogDeleted(string monitor, string by);
}
