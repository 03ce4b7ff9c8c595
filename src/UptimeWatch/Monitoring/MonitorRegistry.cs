using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.Monitoring;

/// <summary>The active (not archived) monitors with their live state, loaded from the database.</summary>
internal sealed class MonitorRegistry(IDbContextFactory<UptimeWatchDbContext> dbFactory)
{
    private readonly ConcurrentDictionary<int, MonitorRuntime> _monitors = new();

    public bool TryGet(int id, [NotNullWhen(true)] out MonitorRuntime? monitor) => _monitors.TryGetValue(id, out monitor);

    public IReadOnlyCollection<MonitorRuntime> Active => [.. _monitors.Values];

    /// <summary>Re-reads the active monitors. Runtime state of monitors already loaded is kept as it is in memory.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Monitors.AsNoTracking().Where(m => m.ArchivedAt == null).ToListAsync(cancellationToken);

        foreach (var row in rows)
        {
            var definition = MonitorRows.ToDefinition(row);
            _monitors.AddOrUpdate(row.Id,
                _ => new MonitorRuntime(row.Id, definition, MonitorRows.ToState(row), row.StatusSince)
                {
                    LastHeartbeatAt = row.LastHeartbeatAt,
                },
                (_, existing) =>
                {
                    existing.Definition = definition;
                    return existing;
                });
        }

        var active = rows.Select(r => r.Id).ToHashSet();
        foreach (var id in _monitors.Keys.Where(id => !active.Contains(id)))
        {
            _monitors.TryRemove(id, out _);
        }
    }
}

/// <summary>Maps between monitor rows and definitions: a row stores the definition's fields, re-validated on load.</summary>
internal static class MonitorRows
{
    public static MonitorDefinition ToDefinition(MonitorEntity row)
    {
        var fields = JsonSerializer.Deserialize<Dictionary<string, string?>>(row.Definition) ?? [];
        var errors = new List<FieldError>();
        return MonitorValidator.Validate(fields, errors)
            ?? throw new InvalidOperationException($"Stored monitor {row.Slug} no longer validates: {string.Join("; ", errors)}");
    }

    public static MonitorState ToState(MonitorEntity row) =>
        new(row.Status, row.BaseStatus, row.ConsecutiveFailures, row.ConsecutiveSuccesses, row.VerdictHistory, row.IsFlapping);

    /// <summary>Copies a definition onto a row; returns whether anything changed.</summary>
    public static bool Apply(MonitorDefinition definition, MonitorEntity row)
    {
        var json = JsonSerializer.Serialize(definition.Fields);
        var type = definition.Type.ToString().ToLowerInvariant();
        var changed = row.Name != definition.Name || row.Group != definition.Group || row.Type != type
            || row.Target != definition.Target || row.IntervalSeconds != definition.IntervalSeconds
            || row.IsPublic != definition.Public || row.Definition != json;
        row.Name = definition.Name;
        row.Group = definition.Group;
        row.Type = type;
        row.Target = definition.Target;
        row.IntervalSeconds = definition.IntervalSeconds;
        row.IsPublic = definition.Public;
        row.Definition = json;
        return changed;
    }
}
