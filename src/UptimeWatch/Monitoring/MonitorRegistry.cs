using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
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
                _ => new MonitorRuntime(row.Id, definition,
                    new MonitorState(row.Status, row.ConsecutiveFailures, row.ConsecutiveSuccesses), row.StatusSince),
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

/// <summary>Maps between monitor rows and definitions; the database stores the definition's canonical text.</summary>
internal static class MonitorRows
{
    public static MonitorDefinition ToDefinition(MonitorEntity row) => new(
        row.Slug, row.Name, row.Group, new Uri(row.Url), row.Method, row.IntervalSeconds, row.TimeoutSeconds,
        StatusCodeSet.TryParse(row.ExpectedStatus, out var expected) ? expected : StatusCodeSet.Success,
        row.Keyword, row.IsPublic, row.FailureThreshold, row.SuccessThreshold, row.MaxRedirects);

    /// <summary>Copies a definition onto a row; returns whether anything changed.</summary>
    public static bool Apply(MonitorDefinition definition, MonitorEntity row)
    {
        var changed = false;
        void Set<T>(T current, T value, Action<T> assign)
        {
            if (!EqualityComparer<T>.Default.Equals(current, value))
            {
                assign(value);
                changed = true;
            }
        }

        Set(row.Name, definition.Name, v => row.Name = v);
        Set(row.Group, definition.Group, v => row.Group = v);
        Set(row.Url, definition.Url.OriginalString, v => row.Url = v);
        Set(row.Method, definition.Method, v => row.Method = v);
        Set(row.IntervalSeconds, definition.IntervalSeconds, v => row.IntervalSeconds = v);
        Set(row.TimeoutSeconds, definition.TimeoutSeconds, v => row.TimeoutSeconds = v);
        Set(row.ExpectedStatus, definition.ExpectedStatus.ToString(), v => row.ExpectedStatus = v);
        Set(row.Keyword, definition.Keyword, v => row.Keyword = v);
        Set(row.IsPublic, definition.Public, v => row.IsPublic = v);
        Set(row.FailureThreshold, definition.FailureThreshold, v => row.FailureThreshold = v);
        Set(row.SuccessThreshold, definition.SuccessThreshold, v => row.SuccessThreshold = v);
        Set(row.MaxRedirects, definition.MaxRedirects, v => row.MaxRedirects = v);
        return changed;
    }
}
