using Microsoft.EntityFrameworkCore;

namespace UptimeWatch.Storage;

/// <summary>
/// Start-up work that several nodes of a PostgreSQL cluster may do at the same moment (apply the config file, create
/// the first admin account) takes turns under a transaction-scoped advisory lock: the server releases it with the
/// commit, the rollback, or the session of a node that died. On SQLite there is one node and nothing to wait for.
/// </summary>
internal static class ClusterLocks
{
    /// <summary>Applying a monitors file ("UWconf").</summary>
    public const long ConfigSync = 0x5557_636F_6E66;

    /// <summary>Creating the first admin account from <c>Admin:InitialPassword</c> ("UWadmn").</summary>
    public const long InitialAccount = 0x5557_6164_6D6E;

    /// <summary>Waits for the lock inside <paramref name="db"/>'s open transaction (PostgreSQL only).</summary>
    public static async Task TakeForTransactionAsync(UptimeWatchDbContext db, long key, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({key})", cancellationToken);
        }
    }
}
