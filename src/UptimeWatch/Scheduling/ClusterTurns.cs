using Microsoft.EntityFrameworkCore;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Scheduling;

/// <summary>
/// One monitor judged by one node at a time across a cluster (PostgreSQL), on what the database has. Two kinds of
/// monitor are judged on more than one node:
/// <list type="bullet">
/// <item>A push monitor: a heartbeat lands on whichever node the load balancer picked, while the node running the
/// monitor's partition judges its deadline.</item>
/// <item>A monitor judged by quorum: each probe agent reports to the node it is connected to, while the node running the
/// partition makes this server's own checks of it and looks for locations gone silent.</item>
/// </list>
/// So each judgement takes the monitor's turn across the cluster (a transaction-scoped advisory lock), first takes the
/// monitor's state (and its heartbeat clock and last recorded check, or each location's state rebuilt from its stored
/// checks) from the database, what any node stored before, and leaves the turn only once its own result is committed.
/// A status change is therefore decided once, on every vote or heartbeat. On SQLite there is one node: no turn, nothing read.
/// </summary>
internal sealed class ClusterTurns(SchedulingMode mode, IDbContextFactory<UptimeWatchDbContext> dbFactory, TimeProvider time)
{
    /// <summary>The first key of the two-key advisory locks ("UWpu"); the second is the monitor's id.</summary>
    private const int LockSpace = 0x5557_7075;

    /// <summary>Whether a judgement must wait for its result to be committed before leaving its turn.</summary>
    public bool Enabled => mode.Cluster;

    /// <summary>
    /// Takes <paramref name="monitor"/>'s cluster turn and its stored state; null on a single node. Called inside the
    /// monitor's own turn in this process (<see cref="MonitorRuntime.EnterAsync"/>), always in that order.
    /// </summary>
    public async Task<IAsyncDisposable?> EnterAsync(MonitorRuntime monitor, CancellationToken cancellationToken)
    {
        if (!mode.Cluster)
        {
            return null;
        }
        var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        try
        {
            var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockSpace}, {monitor.Id})", cancellationToken);
            var row = await db.Monitors.AsNoTracking().SingleOrDefaultAsync(m => m.Id == monitor.Id, cancellationToken);
            if (row is not null)
            {
                monitor.Restore(MonitorRows.ToState(row), row.StatusSince, time.GetUtcNow());
                monitor.LastHeartbeatAt = row.LastHeartbeatAt ?? monitor.LastHeartbeatAt;
                monitor.LastRecordedAt = row.LastCheckedAt;
            }
            if (monitor.ByQuorum)
            {
                await MonitorRegistry.RestoreVotesAsync(db, [monitor], time.GetUtcNow(), cancellationToken);
            }
            return new Turn(db, transaction);
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    /// <summary>Ends the turn: the transaction only held the lock, so it is rolled back (which releases it) with the connection.</summary>
    private sealed class Turn(UptimeWatchDbContext db, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await db.DisposeAsync();
        }
    }
}
