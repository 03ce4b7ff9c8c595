using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Configuration;
using UptimeWatch.Probing;
using UptimeWatch.Storage;

namespace UptimeWatch.Monitoring;

/// <summary>The active (not archived) monitors with their live state, loaded from the database.</summary>
internal sealed class MonitorRegistry(IDbContextFactory<UptimeWatchDbContext> dbFactory, TimeProvider time,
    Microsoft.Extensions.Options.IOptions<UptimeWatchOptions> options) : IPushHeartbeats
{
    private readonly ConcurrentDictionary<int, MonitorRuntime> _monitors = new();

    // Replaced whole on every load, so a heartbeat never sees an index half rebuilt.
    private volatile PushIndex _push = PushIndex.Empty;

    private long _version;

    public bool TryGet(int id, [NotNullWhen(true)] out MonitorRuntime? monitor) => _monitors.TryGetValue(id, out monitor);

    public IReadOnlyCollection<MonitorRuntime> Active => [.. _monitors.Values];

    /// <summary>
    /// Moves at the end of every <see cref="LoadAsync"/>, even one that failed, and whenever a monitor is paused or
    /// resumed (here or, on a cluster, as read from the database). While it has not moved, the same monitors are active,
    /// each with the same <see cref="MonitorRuntime.Definition"/> and paused or not as before; verdicts are not counted.
    /// Read it before reading the monitors: a change still under way then shows as a move at the next read.
    /// </summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>
    /// The active monitors this server checks itself: those whose <c>Locations</c> include its own (every monitor
    /// without <c>Locations</c>). The others are checked by agents only.
    /// </summary>
    public IReadOnlyCollection<MonitorRuntime> CheckedHere =>
        [.. _monitors.Values.Where(m => m.Definition.Locations.IncludesServer(options.Value.Location))];

    /// <summary>
    /// The push monitor whose URL carries <paramref name="token"/>: active, or archived (then with no runtime);
    /// null for a token no monitor has. The index is keyed by the token's SHA-256, so how long a lookup takes
    /// says nothing about how much of a guess matched a real token.
    /// </summary>
    public PushTarget? FindPushByToken(string token) =>
        _push.ByTokenHash.TryGetValue(PushIndex.Hash(token), out var target) ? target : null;

    /// <summary>The active push monitor with this slug, for the scheduled no-heartbeat check (the push probe).</summary>
    PushHeartbeats? IPushHeartbeats.Find(string slug) =>
        _push.BySlug.TryGetValue(slug, out var target) && target.Monitor is { } runtime
            ? new PushHeartbeats(runtime, runtime.LastHeartbeatAt, runtime.ResumedAt, target.ListeningSince) { LastRecordedAt = runtime.LastRecordedAt }
            : null;

    /// <summary>
    /// Re-reads the active monitors. Runtime state of monitors already loaded is kept as it is in memory.
    /// <paramref name="known"/>: definitions the caller validated already, by their stored form
    /// (<see cref="MonitorRows.Json"/>), taken for rows that store exactly that instead of validating the row again.
    /// </summary>
    public async Task LoadAsync(CancellationToken cancellationToken, IReadOnlyDictionary<string, MonitorDefinition>? known = null)
    {
        try
        {
            await ReadAsync(known, cancellationToken);
        }
        finally
        {
            // Even after a failure part way: some definitions may have been replaced already.
            Interlocked.Increment(ref _version);
        }
    }

    private async Task ReadAsync(IReadOnlyDictionary<string, MonitorDefinition>? known, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Monitors.AsNoTracking().Where(m => m.ArchivedAt == null).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var windows = (await db.MaintenanceEntries.AsNoTracking().Where(w => w.End > now).ToListAsync(cancellationToken))
            .ToLookup(w => w.MonitorId);

        var loaded = new List<MonitorRuntime>();
        foreach (var row in rows)
        {
            var definition = known?.GetValueOrDefault(row.Definition) ?? MonitorRows.ToDefinition(row);
            var runtime = _monitors.AddOrUpdate(row.Id,
                _ =>
                {
                    var created = new MonitorRuntime(row.Id, definition, MonitorRows.ToState(row), row.StatusSince)
                    {
                        LastHeartbeatAt = row.LastHeartbeatAt,
                        ListeningSince = now,
                        PausedChanged = () => Interlocked.Increment(ref _version),
                    };
                    loaded.Add(created);
                    return created;
                },
                (_, existing) =>
                {
                    existing.Definition = definition;
                    return existing;
                });
            runtime.ExtraMaintenance = [.. windows[row.Id].Select(w => new OneOffMaintenance(w.Start, w.End))];
            runtime.AlertRules = Configuration.AlertPolicy.Resolve(definition, options.Value.Alerting);
            runtime.ServerLocation = options.Value.Location;
        }

        await RestoreVotesAsync(db, [.. loaded.Where(m => m.ByQuorum)], now, cancellationToken);

        var active = rows.Select(r => r.Id).ToHashSet();
        foreach (var id in _monitors.Keys.Where(id => !active.Contains(id)))
        {
            _monitors.TryRemove(id, out _);
        }

        // Archived push monitors stay in the index so their callers hear "archived" rather than "no such URL".
        var archived = await db.Monitors.AsNoTracking()
            .Where(m => m.ArchivedAt != null && m.PushToken != null)
            .Select(m => new { m.Slug, m.PushToken })
            .ToListAsync(cancellationToken);
        var previous = _push;
        var byHash = new Dictionary<string, PushTarget>(StringComparer.Ordinal);
        foreach (var row in rows.Where(r => r.PushToken is not null))
        {
            var hash = PushIndex.Hash(row.PushToken!);
            var runtime = _monitors[row.Id];
            // Listening since: kept across reloads while the URL stays the same; a new URL starts a new period.
            var since = previous.ByTokenHash.TryGetValue(hash, out var old) && old.Monitor == runtime ? old.ListeningSince : now;
            byHash[hash] = new PushTarget(row.Slug, runtime, since);
        }
        foreach (var row in archived)
        {
            byHash[PushIndex.Hash(row.PushToken!)] = new PushTarget(row.Slug, null, now);
        }
        _push = new PushIndex(
            byHash.ToFrozenDictionary(StringComparer.Ordinal),
            byHash.Values.Where(t => t.Monitor is not null).ToFrozenDictionary(t => t.Slug, StringComparer.Ordinal));
    }

    /// <summary>
    /// Takes the stored state of monitor <paramref name="id"/> as its state in memory (another node of a cluster changed
    /// it: paused, resumed), unlike <see cref="LoadAsync"/>, which keeps what is in memory. With no id, every monitor whose
    /// stored pause differs from the one in memory (changes missed while not listening). Each in the monitor's turn, so
    /// no check of it is half way through.
    /// </summary>
    public async Task RefreshStateAsync(int? id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Monitors.AsNoTracking()
            .Where(m => m.ArchivedAt == null && (id == null || m.Id == id))
            .ToListAsync(cancellationToken);
        foreach (var row in rows)
        {
            if (!_monitors.TryGetValue(row.Id, out var runtime)
                || (id is null && (runtime.State.Status == MonitorStatus.Paused) == (row.Status == MonitorStatus.Paused)))
            {
                continue;
            }
            using (await runtime.EnterAsync(cancellationToken))
            {
                runtime.Restore(MonitorRows.ToState(row), row.StatusSince, time.GetUtcNow());
            }
        }
    }

    /// <summary>How far back a location's stored checks are replayed: enough for any threshold and three intervals of silence.</summary>
    public const int RestoredIntervals = 20;

    /// <summary>
    /// The per-location states of monitors judged by quorum (newly loaded, or judged in a cluster turn), replayed from
    /// their stored checks of the last <see cref="RestoredIntervals"/> intervals (a held check counts as held, a missed
    /// slot not at all), in place of what memory had.
    /// </summary>
    internal static async Task RestoreVotesAsync(UptimeWatchDbContext db, IReadOnlyList<MonitorRuntime> monitors, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (monitors.Count == 0)
        {
            return;
        }
        var names = await db.Locations.AsNoTracking().ToDictionaryAsync(l => l.Id, l => l.Name, cancellationToken);
        foreach (var monitor in monitors)
        {
            var since = now - TimeSpan.FromSeconds(monitor.Definition.IntervalSeconds) * RestoredIntervals;
            var checks = await db.CheckResults.AsNoTracking()
                .Where(c => c.MonitorId == monitor.Id && c.At >= since && (c.Outcome != CheckOutcome.Missed || c.Category == PublicReasons.Held))
                .Select(c => new { c.LocationId, c.At, c.Outcome, c.Category })
                .ToListAsync(cancellationToken);
            monitor.RestoreVotes(checks.OrderBy(c => c.At)
                .Where(c => c.LocationId == CheckResult.ThisServer || names.ContainsKey(c.LocationId))
                .Select(c => new LocationCheck(c.LocationId == CheckResult.ThisServer ? monitor.ServerLocation : names[c.LocationId], c.At,
                    c.Outcome switch { CheckOutcome.Up => Verdict.Up, CheckOutcome.Degraded => Verdict.Degraded, _ => Verdict.Down },
                    c.Category == PublicReasons.Held)));
        }
    }

    private sealed record PushIndex(FrozenDictionary<string, PushTarget> ByTokenHash, FrozenDictionary<string, PushTarget> BySlug)
    {
        public static readonly PushIndex Empty = new(FrozenDictionary<string, PushTarget>.Empty, FrozenDictionary<string, PushTarget>.Empty);

        public static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }
}

/// <summary>
/// Where a push URL leads: the monitor (null once it is archived) and since when this process has accepted
/// heartbeats at that URL, which is as far back as it can know whether one was sent.
/// </summary>
internal sealed record PushTarget(string Slug, MonitorRuntime? Monitor, DateTimeOffset ListeningSince);

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
        // Flapping was a status before it became a flag: the migration rewrites such rows, this only guards a row it missed.
        new(row.Status == MonitorStatus.Flapping ? row.BaseStatus : row.Status, row.BaseStatus, row.ConsecutiveFailures, row.ConsecutiveSuccesses,
            row.VerdictHistory, row.IsFlapping || row.Status == MonitorStatus.Flapping);

    /// <summary>The definition as a row stores it: its fields, from which <see cref="ToDefinition"/> builds it again.</summary>
    public static string Json(MonitorDefinition definition) => JsonSerializer.Serialize(definition.Fields);

    /// <summary>Copies a definition onto a row; returns whether anything changed.</summary>
    public static bool Apply(MonitorDefinition definition, MonitorEntity row)
    {
        var json = Json(definition);
        var type = definition.Type.ToString().ToLowerInvariant();
        var changed = Differs(definition, row, type, json);
        row.Name = definition.Name;
        row.Group = definition.Group;
        row.Type = type;
        row.Target = definition.Target;
        row.IntervalSeconds = definition.IntervalSeconds;
        row.IsPublic = definition.Public;
        row.Definition = json;
        return changed;
    }

    /// <summary>Whether <see cref="Apply"/> would change the row (it is left as it is).</summary>
    public static bool Differs(MonitorDefinition definition, MonitorEntity row, string json) =>
        Differs(definition, row, definition.Type.ToString().ToLowerInvariant(), json);

    private static bool Differs(MonitorDefinition definition, MonitorEntity row, string type, string json) =>
        row.Name != definition.Name || row.Group != definition.Group || row.Type != type
        || row.Target != definition.Target || row.IntervalSeconds != definition.IntervalSeconds
        || row.IsPublic != definition.Public || row.Definition != json;
}

