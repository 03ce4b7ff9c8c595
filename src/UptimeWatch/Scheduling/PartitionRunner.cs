using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Scheduling;

/// <summary>
/// A cluster node's side of the partitions (PostgreSQL only): given a window of a partition by <see cref="PartitionJob"/>,
/// it reads in one query what is stored for the partition's monitors, then runs each slot of the window at its time on
/// this process's clock through the same <see cref="CheckRunner"/> a single node uses. Each check carries its slot, unique
/// per monitor in the database, so a slot is stored once whichever node runs it. Slots nobody ran (their node was
/// killed) are stored as missed with the reason <c>node &lt;id&gt; stopped</c>. A node that did not run the partition's
/// previous window takes each monitor's state (streaks, flap history, pending confirmation) from the database first.
/// </summary>
internal sealed partial class PartitionRunner(
    MonitorRegistry registry,
    CheckRunner checks,
    JournalWriter writer,
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    IOptions<UptimeWatchOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<PartitionRunner> logger) : IHostedService
{
    private readonly string _node = options.Value.Scheduler.NodeId;
    private readonly TimeSpan _checkin = TimeSpan.FromSeconds(options.Value.Scheduler.ClusterCheckinSeconds);
    private readonly SemaphoreSlim _concurrency = new(options.Value.Scheduler.MaxConcurrency);

    // Per partition: the end of the last window this node ran; a window starting elsewhere means another node ran the one before.
    private readonly ConcurrentDictionary<int, DateTimeOffset> _ranUntil = new();
    // Per partition: the start of the run of back-to-back windows this node holds, ending at _ranUntil. A window is taken up
    // to half a second before it starts (Quartz's batch acquisition): the node that ran the one before still runs the
    // partition until then, and so does this one if that was itself.
    private readonly ConcurrentDictionary<int, DateTimeOffset> _ranFrom = new();
    // Per monitor: the last slot this node handed to a check (maybe not stored yet).
    private readonly ConcurrentDictionary<int, DateTimeOffset> _handedOff = new();
    // Per monitor: the interval of the slots armed in the current window (an edit elsewhere may change it meanwhile).
    private readonly ConcurrentDictionary<int, TimeSpan> _armedEvery = new();
    // Per monitor: one check at a time in this process.
    private readonly ConcurrentDictionary<int, SemaphoreSlim> _busy = new();
    // Per monitor: the one-off look armed (a confirmation re-check or a push deadline).
    private readonly ConcurrentDictionary<int, ITimer> _lookAgain = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    // Every node whose checks this node has read, with the newest slot it stored: who can have stopped.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seenNodes = new(StringComparer.Ordinal);

    /// <summary>Partitions this node has run, with the windows of each it ran: the share per node, for logs and tests.</summary>
    public long WindowsRun => Interlocked.Read(ref _windowsRun);

    private long _windowsRun;

    /// <summary>
    /// Reads the partition's monitors (one query), works out what each must do in [<paramref name="start"/>,
    /// <paramref name="end"/>), and arms it; returns once everything is handed off, not when the checks are done.
    /// </summary>
    public async Task HandOffWindowAsync(int partition, DateTimeOffset start, DateTimeOffset end, CancellationToken cancellationToken)
    {
        // A window already over (a firing recovered after its node died, long after): nothing in it can still run on
        // time; the next window of the partition finds its slots unstored and records them as missed.
        if (lifetime.ApplicationStopping.IsCancellationRequested || end <= time.GetUtcNow())
        {
            return;
        }
        var takeover = !_ranUntil.TryGetValue(partition, out var until) || until != start;
        if (takeover)
        {
            _ranFrom[partition] = start;
        }
        else
        {
            _ranFrom.TryAdd(partition, start);
        }
        // Never back: this node may have run the window from memory already, while the database did not answer.
        _ranUntil.AddOrUpdate(partition, end, (_, before) => before > end ? before : end);
        Interlocked.Increment(ref _windowsRun);
        var monitors = registry.CheckedHere.Where(m => Partitions.Of(m.Id) == partition).ToList();
        if (monitors.Count == 0)
        {
            return;
        }
        var since = LookBackFrom(start, Horizon(monitors.Max(m => m.Definition.IntervalSeconds), monitors.Max(m => m.Definition.TimeoutSeconds)));
        Dictionary<int, StoredMonitor> stored;
        try
        {
            stored = await ReadStoredAsync([.. monitors.Select(m => m.Id)], since, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            // The database went away between the firing and this read: the window is this node's all the same (nobody
            // else fires it while the database is away), so run it from memory rather than leave its slots to nobody.
            RunFromMemory(partition, start, end);
            return;
        }
        var plans = new List<(DateTimeOffset Slot, MonitorRuntime Monitor, SlotPlan Plan)>();
        foreach (var monitor in monitors)
        {
            if (!stored.TryGetValue(monitor.Id, out var row) || row.Status == MonitorStatus.Paused)
            {
                continue;
            }
            var interval = TimeSpan.FromSeconds(monitor.Definition.IntervalSeconds);
            // Whether this node ran the monitor's slot before the window is decided per monitor: one that checks
            // less often than every window may have had its last slot in a window another node ran.
            var mine = _handedOff.TryGetValue(monitor.Id, out var handed) ? handed : (DateTimeOffset?)null;
            // A slot this node handed off already is not run twice here (a window it ran from memory during an outage,
            // fired by Quartz once the database is back).
            var slots = NotHandedOff(monitor, start, end);
            if (slots.Count == 0)
            {
                continue;
            }
            _handedOff[monitor.Id] = slots[^1];
            _armedEvery[monitor.Id] = interval;
            plans.Add((slots[0], monitor, new SlotPlan(row, mine)));
            plans.AddRange(slots.Skip(1).Select(s => (s, monitor, SlotPlan.Regular)));
        }
        if (takeover && plans.Count > 0)
        {
            LogTakingPartition(partition, start);
        }
        plans.Sort((a, b) => a.Slot.CompareTo(b.Slot));
        Track(RunSlotsAsync(partition, plans));
    }

    /// <summary>This node's id in the cluster (stored with each check it runs).</summary>
    public string Node => _node;

    /// <summary>
    /// Whether this node runs the current window of the monitor's partition: handed off and started, not yet over. A window
    /// taken before it starts does not make two owners: until it starts, the node that ran the one before runs the
    /// partition (this one too, when that was itself). Who runs a check now (<see cref="CheckNowRelay"/>).
    /// </summary>
    public bool RunsWindowOf(int monitorId) =>
        _ranFrom.TryGetValue(Partitions.Of(monitorId), out var from) && _ranUntil.TryGetValue(Partitions.Of(monitorId), out var until)
        && from <= time.GetUtcNow() && until > time.GetUtcNow();

    /// <summary>"Check now" on a cluster: here, at once, one at a time with this node's own checks of the monitor; not a slot.</summary>
    public async Task<CheckNowOutcome?> CheckNowAsync(int monitorId, CancellationToken cancellationToken)
    {
        if (!registry.TryGet(monitorId, out var monitor))
        {
            return null;
        }
        var gate = _busy.GetOrAdd(monitorId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var run = await checks.RunAsync(monitor, [], true, new SlotStamp(null, _node), cancellationToken);
            Arm(monitor, run);
            return run.Outcome;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task RunSlotsAsync(int partition, List<(DateTimeOffset Slot, MonitorRuntime Monitor, SlotPlan Plan)> plans)
    {
        var stopping = lifetime.ApplicationStopping;
        foreach (var (slot, monitor, plan) in plans)
        {
            var wait = slot - time.GetUtcNow();
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, stopping);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            Track(RunSlotAsync(partition, slot, monitor, plan, stopping));
        }
    }

    private async Task RunSlotAsync(int partition, DateTimeOffset slot, MonitorRuntime monitor, SlotPlan plan, CancellationToken stopping)
    {
        // The monitor as the registry has it now (a monitor deleted and created again is a new object).
        if (Follows(monitor, slot) is not { } current)
        {
            return;
        }
        monitor = current;
        var interval = TimeSpan.FromSeconds(monitor.Definition.IntervalSeconds);
        var gate = _busy.GetOrAdd(monitor.Id, _ => new SemaphoreSlim(1, 1));
        if (!gate.Wait(0))
        {
            await StoreMissedAsync(monitor, [Missed(slot, "missed: the previous check was still running")], stopping);
            return;
        }
        try
        {
            if (plan.First is { } row)
            {
                await CatchUpAsync(monitor, slot, interval, plan, row, stopping);
            }
            if (monitor.State.Status == MonitorStatus.Paused)
            {
                return;
            }
            // Later than a single node would let a slot start (the previous owner's results took long to arrive,
            // every check slot was busy): counted missed rather than crowding the next slot.
            var threshold = ScheduleReconciler.MisfireThreshold(interval);
            var late = time.GetUtcNow() - slot;
            if (late > threshold || !await _concurrency.WaitAsync(threshold - late, stopping))
            {
                await StoreMissedAsync(monitor, [Late(slot)], stopping);
                return;
            }
            try
            {
                var run = await checks.RunAsync(monitor, [], false, new SlotStamp(slot, _node), stopping);
                if (Owns(partition))
                {
                    Arm(monitor, run);
                }
            }
            finally
            {
                _concurrency.Release();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: the slot is left to whichever node runs the partition next.
        }
        catch (Exception ex)
        {
            LogSlotFailed(ex, monitor.Definition.Slug, slot);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Whether a slot armed when its window was handed off still stands after the console changes made since (on any
    /// node: <see cref="MonitorChangeSignal"/> reloads the monitor here): a deleted or paused monitor's slots do not run,
    /// and after an interval change only slots on the new interval's grid do (<see cref="Follow"/> arms the others).
    /// </summary>
    /// <remarks>
    /// Returns the registry's current object for the monitor, or null when the slot no longer stands. Compared by id, not
    /// by object: a monitor deleted and created again meanwhile is a new object, and its slot on the same grid still runs.
    /// </remarks>
    private MonitorRuntime? Follows(MonitorRuntime monitor, DateTimeOffset slot) =>
        registry.TryGet(monitor.Id, out var current) && current.State.Status != MonitorStatus.Paused
        && current.Definition.Locations.IncludesServer(options.Value.Location)
        && Partitions.SlotAtOrAfter(monitor.Id, TimeSpan.FromSeconds(current.Definition.IntervalSeconds), slot) == slot
            ? current
            : null;

    /// <summary>
    /// After a console change to <paramref name="monitorId"/> reloaded here: when this node runs the current window of its
    /// partition and the interval changed, arms the slots of the new interval left in the window (those of the old one
    /// are dropped as they come up, <see cref="Follows"/>), so the change takes effect from the next slot rather than the
    /// next window. A pause, resume or delete needs nothing here: a resumed monitor is checked at once by the node that
    /// resumed it, and from the next window on by its owner.
    /// </summary>
    public void Follow(int monitorId)
    {
        var partition = Partitions.Of(monitorId);
        if (!registry.TryGet(monitorId, out var monitor) || monitor.State.Status == MonitorStatus.Paused || !Owns(partition)
            || !_ranUntil.TryGetValue(partition, out var end) || !_armedEvery.TryGetValue(monitorId, out var armed))
        {
            return;
        }
        var interval = TimeSpan.FromSeconds(monitor.Definition.IntervalSeconds);
        if (interval == armed)
        {
            return;
        }
        _armedEvery[monitorId] = interval;
        var slots = Partitions.SlotsIn(monitorId, interval, time.GetUtcNow(), end)
            .Where(s => Partitions.SlotAtOrAfter(monitorId, armed, s) != s)
            .Select(s => (s, monitor, SlotPlan.Regular))
            .ToList();
        if (slots.Count > 0)
        {
            _handedOff[monitorId] = slots[^1].s > _handedOff.GetValueOrDefault(monitorId) ? slots[^1].s : _handedOff[monitorId];
            Track(RunSlotsAsync(partition, slots));
        }
    }

    /// <summary>
    /// Before the first slot of a monitor in a window. When another node ran the monitor until now, take its state from the
    /// database; the slot just before may still be on its way from that node (checked, not committed yet): wait for it,
    /// at most the check's timeout plus the writer's window. Then store as missed the slots of the recent past that no
    /// node stored, once they are old enough that no node can still be storing them.
    /// </summary>
    private async Task CatchUpAsync(MonitorRuntime monitor, DateTimeOffset slot, TimeSpan interval, SlotPlan plan, StoredMonitor row,
        CancellationToken stopping)
    {
        var previous = slot - interval;
        var timeout = TimeSpan.FromSeconds(monitor.Definition.TimeoutSeconds);
        // This node checked the slot before (and so holds the newest state), or it takes the state the database has.
        if (plan.HandedOff is not { } handed || handed < previous)
        {
            var grace = timeout + WriteWindow + TimeSpan.FromMilliseconds(500);
            while (row.LastSlot is { } last && last < previous && time.GetUtcNow() - previous < grace)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), time, stopping);
                if ((await ReadStoredAsync([monitor.Id], row.Since, stopping)).GetValueOrDefault(monitor.Id) is not { } fresh)
                {
                    return;
                }
                row = fresh;
            }
            monitor.Restore(row.State, row.StatusSince, row.LastHeartbeatAt);
            if (row.State.Pending && monitor.Definition.RetryIntervalSeconds is { } retry)
            {
                // The other node was confirming a failure: confirm it here, as soon as it would have.
                ArmLook(monitor, time.GetUtcNow().AddSeconds(retry));
            }
        }
        if (monitor.Definition.Type == MonitorType.Push)
        {
            // A push monitor's late look loses nothing: it reads the heartbeat clock, which ran meanwhile.
            return;
        }

        // Not before the monitor was created or changed, nor before a resume (its status changed after its last slot
        // without a check), nor further back than the query looked.
        var from = new[] { row.Since, row.UpdatedAt }.Max();
        if (row.StatusSince is { } since && (row.LastSlot is not { } lastSlot || since > lastSlot + interval / 2))
        {
            from = since > from ? since : from;
        }
        var upTo = time.GetUtcNow() - LostAfter(timeout);
        var lost = Partitions.SlotsIn(monitor.Id, interval, from, upTo < slot ? upTo : slot)
            .Where(at => !row.Stored.Contains(at))
            .Take(MissedSlots.MaxRecorded)
            .ToList();
        if (lost.Count > 0)
        {
            var reason = await StoppedNodeAsync(lost[0] - interval - LostAfter(timeout), stopping) is { } node
                ? $"missed: node {node} stopped"
                : null;
            await StoreMissedAsync(monitor, [.. lost.Select(at => reason is null ? Late(at) : Missed(at, reason))], stopping);
        }
    }

    private TimeSpan WriteWindow => TimeSpan.FromMilliseconds(options.Value.Storage.WriteWindowMilliseconds);

    /// <summary>
    /// How old an unstored slot must be before it is declared lost: the node that checked it may still be storing it
    /// (its check's timeout, the writer's window, and room for a busy database).
    /// </summary>
    private TimeSpan LostAfter(TimeSpan timeout) => timeout + WriteWindow + TimeSpan.FromSeconds(5);

    /// <summary>How far back a firing looks for lost slots: what a takeover can lose, and the time to declare it.</summary>
    private TimeSpan Horizon(int intervalSeconds, int timeoutSeconds) =>
        LostAfter(TimeSpan.FromSeconds(timeoutSeconds)) + 3 * _checkin + 2 * Partitions.Window + TimeSpan.FromSeconds(intervalSeconds);

    /// <summary>
    /// Where the read of a window starting at <paramref name="start"/> begins: <paramref name="horizon"/> back, or further,
    /// across a database outage that ended within it. A slot nobody stored is declared missed once it is older than
    /// <see cref="LostAfter"/>, by the catch-up of a later window; while the database is away no window reads anything
    /// (they run from memory, <see cref="CarryOnAsync"/>). Without this, an outage longer than the horizon would carry
    /// the slots lost just before it (a slow first start, a node killed) out of every later read, and they would never
    /// get a row. The outage is this node's view (its writer's failing commits); every node writes, so each sees it.
    /// </summary>
    private DateTimeOffset LookBackFrom(DateTimeOffset start, TimeSpan horizon)
    {
        var from = start - horizon;
        var outage = writer.CurrentFailure is { } failing ? new WriteOutage(failing.Since, time.GetUtcNow()) : writer.LastOutage;
        return outage is { } o && o.Until >= from && o.Since - horizon < from ? o.Since - horizon : from;
    }

    /// <summary>
    /// Which node stopped and lost these slots: of the nodes whose checks this node has read lately (any partition), the
    /// ones the cluster no longer sees checking in (Quartz's own record of live nodes). Null when every such node is alive:
    /// then the slots were lost to lateness (a busy machine, a slow database), and no live node is blamed.
    /// </summary>
    private async Task<string?> StoppedNodeAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Quartz stores its times as .NET ticks (UTC).
        var aliveAfter = (time.GetUtcNow() - _checkin - TimeSpan.FromSeconds(1)).UtcTicks;
        var alive = await db.Database
            .SqlQuery<string>($"SELECT instance_name AS \"Value\" FROM qrtz_scheduler_state WHERE sched_name = {SchedulingExtensions.ClusterSchedulerName} AND last_checkin_time > {aliveAfter}")
            .ToListAsync(cancellationToken);
        var stopped = _seenNodes.Where(n => n.Value >= since).Select(n => n.Key).Except(alive).Order(StringComparer.Ordinal).ToList();
        return stopped.Count > 0 ? string.Join(", ", stopped) : null;
    }

    private CheckRecord Missed(DateTimeOffset slot, string reason) =>
        new(slot, CheckOutcome.Missed, null, null, reason) { Category = PublicReasons.Missed, Slot = slot, Node = _node };

    /// <summary>A slot that started too late to run: the single node's reason ("the scheduler was late …").</summary>
    private CheckRecord Late(DateTimeOffset slot) => ProbeJob.MissedCheck(slot, null, queueWasFull: false) with { Slot = slot, Node = _node };

    /// <summary>
    /// Stores slots as missed. Never for a push monitor: its slot only looks at the heartbeat clock, which runs whether or
    /// not the slot ran, so a slot skipped or late loses nothing (as on a single node, ProbeJob).
    /// </summary>
    private async Task StoreMissedAsync(MonitorRuntime monitor, IReadOnlyList<CheckRecord> missed, CancellationToken cancellationToken)
    {
        if (monitor.Definition.Type == MonitorType.Push)
        {
            return;
        }
        LogMissed(monitor.Definition.Slug, missed.Count, missed[0].Error!);
        await writer.AppendAsync(new CheckWrite(monitor.Id, monitor.Definition.Slug, missed, null, null), cancellationToken);
    }

    /// <summary>Whether this node runs the partition's current window (a look armed earlier is for its owner only).</summary>
    private bool Owns(int partition) => _ranUntil.TryGetValue(partition, out var until) && until > time.GetUtcNow();

    private void Arm(MonitorRuntime monitor, CheckRun run)
    {
        if ((run.LookAgainAt ?? run.RetryAt) is { } at)
        {
            ArmLook(monitor, at);
        }
    }

    /// <summary>A one-off check at <paramref name="at"/> (a confirmation re-check, a push deadline), replacing any armed before.</summary>
    private void ArmLook(MonitorRuntime monitor, DateTimeOffset at)
    {
        var timer = time.CreateTimer(_ => Track(LookAsync(monitor.Id)), null, Max(at - time.GetUtcNow(), TimeSpan.Zero), Timeout.InfiniteTimeSpan);
        if (_lookAgain.TryGetValue(monitor.Id, out var old))
        {
            old.Dispose();
        }
        _lookAgain[monitor.Id] = timer;
    }

    private async Task LookAsync(int monitorId)
    {
        var stopping = lifetime.ApplicationStopping;
        // Only the partition's owner looks: another node took it over (and re-arms from the stored state) or it is paused.
        if (stopping.IsCancellationRequested || !Owns(Partitions.Of(monitorId)) || !registry.TryGet(monitorId, out var monitor)
            || monitor.State.Status == MonitorStatus.Paused)
        {
            return;
        }
        var gate = _busy.GetOrAdd(monitorId, _ => new SemaphoreSlim(1, 1));
        if (!gate.Wait(0))
        {
            return;
        }
        try
        {
            Arm(monitor, await checks.RunAsync(monitor, [], false, null, stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogSlotFailed(ex, monitor.Definition.Slug, time.GetUtcNow());
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// What is stored for these monitors, set-based for the whole partition: their state rows (one query) and their
    /// slots stored since <paramref name="since"/> with the node of each (one query, answered by the (monitor, slot) index).
    /// </summary>
    private async Task<Dictionary<int, StoredMonitor>> ReadStoredAsync(List<int> ids, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Monitors.AsNoTracking()
            .Where(m => ids.Contains(m.Id) && m.ArchivedAt == null)
            .Select(m => new
            {
                m.Id, m.Status, m.BaseStatus, m.ConsecutiveFailures, m.ConsecutiveSuccesses, m.VerdictHistory, m.IsFlapping,
                m.StatusSince, m.LastHeartbeatAt, m.UpdatedAt,
            })
            .ToListAsync(cancellationToken);
        var slots = (await db.CheckResults.AsNoTracking()
            .Where(c => ids.Contains(c.MonitorId) && c.Slot != null && c.Slot >= since)
            .Select(c => new { c.MonitorId, c.Slot, c.Node })
            .ToListAsync(cancellationToken))
            .ToLookup(c => c.MonitorId);
        foreach (var seen in slots.SelectMany(g => g).Where(c => c.Node is not null))
        {
            _seenNodes.AddOrUpdate(seen.Node!, seen.Slot!.Value, (_, before) => before > seen.Slot!.Value ? before : seen.Slot!.Value);
        }
        return rows.ToDictionary(r => r.Id, r =>
        {
            var stored = slots[r.Id].ToList();
            var last = stored.MaxBy(c => c.Slot);
            return new StoredMonitor(
                MonitorRows.ToState(new MonitorEntity
                {
                    Slug = "", Name = "", Type = "", Target = "", Definition = "", Source = "",
                    Status = r.Status, BaseStatus = r.BaseStatus, ConsecutiveFailures = r.ConsecutiveFailures,
                    ConsecutiveSuccesses = r.ConsecutiveSuccesses, VerdictHistory = r.VerdictHistory, IsFlapping = r.IsFlapping,
                }),
                r.Status, r.StatusSince, r.LastHeartbeatAt, r.UpdatedAt, since,
                [.. stored.Select(c => c.Slot!.Value)], last?.Slot, last?.Node);
        });
    }

    private void Track(Task task)
    {
        _running[task] = 0;
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Track(CarryOnAsync(lifetime.ApplicationStopping));
        return Task.CompletedTask;
    }

    /// <summary>
    /// While the database cannot be reached, Quartz fires no partition anywhere (its store is the database). So that checks
    /// go on and wait in the writer's queue instead of stopping, a node keeps running, from memory, the partitions whose
    /// window it ran last and that nobody fired after it: twice a second it reads the cluster's partition triggers. A
    /// window of this node's that ended and whose trigger has fired since (on another node: this one would have run it) is
    /// forgotten: that node has the partition now. One that ended and whose trigger has not fired yet is this node's to
    /// carry on if the database stops answering; then it runs the next window itself. When the database is back, Quartz's
    /// firings take over again. Only a firing on another node in the half second before the database went away goes
    /// unseen; then both nodes run that window, and each slot is still stored once (the unique slot key).
    /// </summary>
    private async Task CarryOnAsync(CancellationToken stopping)
    {
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(500), time);
        try
        {
            while (await tick.WaitForNextTickAsync(stopping))
            {
                var now = time.GetUtcNow();
                var ended = _ranUntil.Where(p => p.Value <= now).ToList();
                if (ended.Count == 0)
                {
                    continue;
                }
                if (await NextFiringsAsync(stopping) is { } next)
                {
                    foreach (var window in ended)
                    {
                        // Fired after this node's window (elsewhere): forgotten, unless a firing here moved it meanwhile.
                        if (next.TryGetValue(window.Key, out var at) && at > window.Value)
                        {
                            _ranUntil.TryRemove(window);
                        }
                    }
                    continue;
                }
                // The database does not answer. Ended at least a second ago (the firing is due at the end), and not longer
                // ago than one window (older ones were carried on already, or belong to a time the database still answered).
                foreach (var (partition, until) in ended.Where(p => p.Value <= now - TimeSpan.FromSeconds(1) && p.Value > now - Partitions.Window - TimeSpan.FromSeconds(1)))
                {
                    // Unless a firing arrived meanwhile.
                    if (_ranUntil.TryUpdate(partition, until + Partitions.Window, until))
                    {
                        CarryOn(partition, until, until + Partitions.Window);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// The next fire time of each partition's trigger in the cluster's job store (one query, bounded to 2 s), or null when
    /// the database does not answer.
    /// </summary>
    private async Task<Dictionary<int, DateTimeOffset>?> NextFiringsAsync(CancellationToken stopping)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        bounded.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(bounded.Token);
            // Quartz stores its times as .NET ticks (UTC).
            var rows = await db.Database
                .SqlQuery<PartitionFiring>($"SELECT trigger_name AS \"Trigger\", next_fire_time AS \"NextFireTicks\" FROM qrtz_triggers WHERE sched_name = {SchedulingExtensions.ClusterSchedulerName} AND trigger_group = {PartitionJob.Group}")
                .ToListAsync(bounded.Token);
            var next = new Dictionary<int, DateTimeOffset>();
            foreach (var row in rows)
            {
                if (row.NextFireTicks is { } ticks && PartitionJob.PartitionOf(row.Trigger) is { } partition)
                {
                    next[partition] = new DateTimeOffset(ticks, TimeSpan.Zero);
                }
            }
            return next;
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            return null;
        }
    }

    /// <summary>The monitor's slots in [<paramref name="start"/>, <paramref name="end"/>) that this node has not handed to a check yet.</summary>
    private List<DateTimeOffset> NotHandedOff(MonitorRuntime monitor, DateTimeOffset start, DateTimeOffset end) =>
        [.. Partitions.SlotsIn(monitor.Id, TimeSpan.FromSeconds(monitor.Definition.IntervalSeconds), start, end)
            .Where(s => !_handedOff.TryGetValue(monitor.Id, out var last) || s > last)];

    private sealed record PartitionFiring(string Trigger, long? NextFireTicks);

    /// <summary>A window carried on from this node's memory while the database does not answer (<see cref="CarryOnAsync"/>).</summary>
    private void CarryOn(int partition, DateTimeOffset start, DateTimeOffset end)
    {
        Interlocked.Increment(ref _windowsRun);
        RunFromMemory(partition, start, end);
    }

    /// <summary>A window run from this node's memory: the monitors' state as this node has it, no catch-up (nothing can be read).</summary>
    private void RunFromMemory(int partition, DateTimeOffset start, DateTimeOffset end)
    {
        var plans = new List<(DateTimeOffset Slot, MonitorRuntime Monitor, SlotPlan Plan)>();
        foreach (var monitor in registry.CheckedHere.Where(m => Partitions.Of(m.Id) == partition && m.State.Status != MonitorStatus.Paused))
        {
            var slots = NotHandedOff(monitor, start, end);
            if (slots.Count == 0)
            {
                continue;
            }
            _handedOff[monitor.Id] = slots[^1];
            plans.AddRange(slots.Select(s => (s, monitor, SlotPlan.Regular)));
        }
        if (plans.Count > 0)
        {
            LogCarryingOn(partition, start);
            plans.Sort((a, b) => a.Slot.CompareTo(b.Slot));
            Track(RunSlotsAsync(partition, plans));
        }
    }

    /// <summary>Stops with the host: no new slot starts; running checks end on their own deadline, bounded by <see cref="CheckCutOff"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var timer in _lookAgain.Values)
        {
            timer.Dispose();
        }
        try
        {
            await Task.WhenAll(_running.Keys).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>What a monitor's slot must do first: only the first slot of a monitor in a window catches up.</summary>
    private sealed record SlotPlan(StoredMonitor? First, DateTimeOffset? HandedOff)
    {
        public static readonly SlotPlan Regular = new(null, null);
    }

    /// <summary>A monitor as the database has it: state, and the slots stored since <paramref name="Since"/>, the newest with its node.</summary>
    private sealed record StoredMonitor(MonitorState State, MonitorStatus Status, DateTimeOffset? StatusSince, DateTimeOffset? LastHeartbeatAt,
        DateTimeOffset UpdatedAt, DateTimeOffset Since, HashSet<DateTimeOffset> Stored, DateTimeOffset? LastSlot, string? LastNode);

    [LoggerMessage(LogLevel.Debug, "Running partition {Partition} from {Start:O} (another node ran it before, or none did)")]
    private partial void LogTakingPartition(int partition, DateTimeOffset start);

    [LoggerMessage(LogLevel.Warning, "The database does not answer: running partition {Partition} from {Start:O} from memory until it does")]
    private partial void LogCarryingOn(int partition, DateTimeOffset start);

    [LoggerMessage(LogLevel.Warning, "{Monitor} missed {Count} scheduled checks: {Reason}")]
    private partial void LogMissed(string monitor, int count, string reason);

    [LoggerMessage(LogLevel.Error, "The check of {Monitor} for the slot {Slot:O} failed")]
    private partial void LogSlotFailed(Exception ex, string monitor, DateTimeOffset slot);
}
