using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Scheduling;

/// <summary>
/// At start-up, makes the database match the config file: monitors are upserted by slug; a config monitor that
/// left the file is archived (history kept, no longer probed or listed); one that comes back is restored.
/// Then loads the active monitors into the <see cref="MonitorRegistry"/>.
/// </summary>
/// <remarks>
/// On PostgreSQL several nodes share the database, each with its own copy of the file: <see cref="ClusterConfig"/>
/// decides whether this node's file is applied at all (docs/scale-out.md, "Config files in a cluster").
/// </remarks>
internal sealed partial class ConfigMonitorSync(
    IOptions<UptimeWatchOptions> options,
    IConfiguration configuration,
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    MonitorRegistry registry,
    TimeProvider time,
    ILogger<ConfigMonitorSync> logger) : IHostedService
{
    public const string ConfigSource = "config";
    public const string ConsoleSource = "console";

    /// <summary>This node's file as the cluster sees it; inactive (never consulted) on SQLite.</summary>
    public ClusterConfig Cluster { get; } = new(options.Value.Storage.IsPostgres, StorageExtensions.DataDirectory(options.Value), dbFactory, logger);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The file's monitors were validated when it was read: a row that stores one of them as it is needs no second
        // validation (1 s of a 10,000-monitor start, docs/performance.md). The sync notes each one's stored form.
        var known = new Dictionary<string, MonitorDefinition>(StringComparer.Ordinal);
        await SyncAsync(options.Value.Monitors, ConfigChange.Start, cancellationToken, known);
        await registry.LoadAsync(cancellationToken, known);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Applies an edited file (a reload): a deliberate change, applied in a cluster too unless its monitors are the
    /// cluster's already or did not change. False when nothing was applied (the cluster's rule said so, and logged why).
    /// </summary>
    public Task<bool> SyncAsync(IReadOnlyList<MonitorDefinition> definitions, CancellationToken cancellationToken) =>
        SyncAsync(definitions, ConfigChange.Reload, cancellationToken);

    /// <param name="stored">When given: each applied definition by the form its row stores (<see cref="MonitorRows.Json"/>).</param>
    private async Task<bool> SyncAsync(IReadOnlyList<MonitorDefinition> definitions, ConfigChange change, CancellationToken cancellationToken,
        Dictionary<string, MonitorDefinition>? stored = null)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The hash is the cluster's (one node has nothing to compare it with): 0.5 s of a 10,000-monitor start on SQLite.
        var hash = Cluster.Enabled ? ClusterConfig.HashOf(configuration) : "";
        var file = new ConfigFile(hash, Configuration.ConfigurationExtensions.MonitorsFile(configuration), definitions.Count);
        // In a cluster: under a lock held to the commit, so nodes starting together apply one file once, one after another.
        if (!await Cluster.ShouldApplyAsync(db, file, change, cancellationToken))
        {
            await transaction.CommitAsync(cancellationToken);
            return false;
        }
        // Read untracked, and only the rows that change are tracked (attached before they change): tracking all of them
        // and then finding the few changes among 10,000 was 1.4 s of a start-up (docs/performance.md). A tracked row
        // writes only the columns that changed, never the state columns the checks write meanwhile.
        var rows = await db.Monitors.AsNoTracking().ToDictionaryAsync(m => m.Slug, StringComparer.Ordinal, cancellationToken);
        void Track(MonitorEntity row)
        {
            if (db.Entry(row).State == EntityState.Detached)
            {
                db.Monitors.Attach(row);
            }
        }
        int added = 0, updated = 0, archived = 0;

        // A renamed push monitor that keeps its configured token takes it over from its old (archived) row: free
        // the token first, in its own statement, so the unique index never sees it twice.
        var slugs = definitions.Select(d => d.Slug).ToHashSet(StringComparer.Ordinal);
        var configuredTokens = definitions.Select(d => d.Push?.Token).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var released = rows.Values.Where(r => !slugs.Contains(r.Slug) && r.PushToken is { } t && configuredTokens.Contains(t)).ToList();
        if (released.Count > 0)
        {
            released.ForEach(r =>
            {
                Track(r);
                r.PushToken = null;
            });
            await db.SaveChangesAsync(cancellationToken);
        }

        foreach (var definition in definitions)
        {
            if (rows.Remove(definition.Slug, out var row))
            {
                if (row.ArchivedAt is null && row.Source == ConfigSource && definition.Push is null && row.PushToken is null
                    && !MonitorRows.Differs(definition, row, MonitorRows.Json(definition)))
                {
                    stored?.TryAdd(row.Definition, definition);
                    continue;
                }
                Track(row);
                var changed = MonitorRows.Apply(definition, row) | AssignPushToken(definition, row);
                if (row.ArchivedAt is not null || row.Source != ConfigSource)
                {
                    row.ArchivedAt = null;
                    row.Source = ConfigSource;
                    changed = true;
                }
                if (changed)
                {
                    row.UpdatedAt = now;
                    updated++;
                }
                stored?.TryAdd(row.Definition, definition);
                continue;
            }

            var entity = new MonitorEntity
            {
                Slug = definition.Slug, Name = definition.Name, Type = "", Target = "", Definition = "",
                Source = ConfigSource, CreatedAt = now, UpdatedAt = now,
                Status = MonitorStatus.Unknown, BaseStatus = MonitorStatus.Unknown,
            };
            MonitorRows.Apply(definition, entity);
            AssignPushToken(definition, entity);
            db.Monitors.Add(entity);
            stored?.TryAdd(entity.Definition, definition);
            added++;
        }

        // Whatever is left was in the database but is no longer in the file.
        foreach (var row in rows.Values.Where(r => r.Source == ConfigSource && r.ArchivedAt is null))
        {
            Track(row);
            row.ArchivedAt = now;
            row.UpdatedAt = now;
            archived++;
            LogArchived(row.Slug);
        }

        Cluster.RecordApplied(db, file, now);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogSynced(definitions.Count, added, updated, archived);
        Cluster.Applied(file, now);
        return true;
    }

    /// <summary>
    /// A push monitor keeps the token from the config, or the one it was given before, or gets a new random one;
    /// a new one is logged once, since (until the console shows it) the log is where its owner finds it.
    /// </summary>
    internal bool AssignPushToken(MonitorDefinition definition, MonitorEntity row)
    {
        var token = definition.Push is null
            ? null
            : definition.Push.Token ?? row.PushToken ?? RandomNumberGenerator.GetString(TokenAlphabet, 32);
        if (token == row.PushToken)
        {
            return false;
        }
        row.PushToken = token;
        if (token is not null && definition.Push!.Token is null)
        {
            LogPushUrl(definition.Slug, token);
        }
        return true;
    }

    private const string TokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    [LoggerMessage(LogLevel.Information, "Push monitor {Monitor} gets its heartbeats at /api/push/{PushToken} (keep this URL secret)")]
    private partial void LogPushUrl(string monitor, string pushToken);

    [LoggerMessage(LogLevel.Information, "Config has {Count} monitors: {Added} added, {Updated} updated, {Archived} archived")]
    private partial void LogSynced(int count, int added, int updated, int archived);

    [LoggerMessage(LogLevel.Information, "Monitor {Monitor} is no longer in the config: archived with its history")]
    private partial void LogArchived(string monitor);
}
