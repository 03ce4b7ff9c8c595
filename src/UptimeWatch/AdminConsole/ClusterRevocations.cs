using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// PostgreSQL only (several nodes): every second, ends this node's admin WebSockets whose session, password or token was
/// revoked on another node. HTTP requests need none of this (each re-reads the database); a socket is authenticated
/// once, at the upgrade, and on one node hears revocations in memory (<see cref="AdminSessions"/>), which a revocation on
/// another node never reaches. Does nothing on SQLite.
/// </summary>
internal sealed class ClusterRevocations(
    AdminSessions sessions,
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    IOptions<UptimeWatchOptions> options,
    TimeProvider time,
    ILogger<ClusterRevocations> logger) : ClusterPoll(dbFactory, options, time, logger)
{
    protected override string Looking => "sessions ended on other nodes";

    protected override Task PollAsync(UptimeWatchDbContext db, CancellationToken cancellationToken) =>
        sessions.RevokeEndedElsewhereAsync(db, cancellationToken);
}
