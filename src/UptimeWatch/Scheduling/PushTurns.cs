using Microsoft.EntityFrameworkCore;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Scheduling;

/// <summary>
/// A push monitor on a cluster (PostgreSQL): a heartbeat lands on whichever node the load balancer picked, while the node
/// running the monitor's partition judges its deadline. So each heartbeat and each look at the deadline takes the
/// monitor's turn across the cluster (a transaction-scoped advisory lock), first takes the monitor's state, heartbeat
/// clock and last recorded check from the database (what any node stored before), and leaves the turn only once its own
/// result is committed. The deadline is therefore judged against every heartbeat, a deadline already recorded by another
/// node is not recorded again, and a status change is decided once. On SQLite there is one node: no turn, nothing read.
/// </summary>
internal sealed class PushTurns(SchedulingMode mode, IDbContextFactory<UptimeWatchDbContext> dbFactory, TimeProvider time)
{
    /// <summary>The first key of the two-key advisory locks ("UWpu"); the second is the monitor's id.</summary>
    private const int LockSpace = 0x5557_7075;

    /// <summary>Whether a heartbeat or a look must wait for its result to be committed before leaving its turn.</summary>
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
