using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.Agents;

/// <summary>
/// PostgreSQL only (several nodes): every second, ends this node's agent sockets whose token was revoked on another node.
/// An agent is authenticated once, at the upgrade; a revocation on the same node reaches its socket in memory
/// (<see cref="AgentConnections.Revoke"/>), one on another node only through the database. Does nothing on SQLite.
/// </summary>
internal sealed class AgentRevocations(
    AgentConnections connections,
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    IOptions<UptimeWatchOptions> options,
    TimeProvider time,
    ILogger<AgentRevocations> logger) : ClusterPoll(dbFactory, options, time, logger)
{
    protected override string Looking => "agent tokens revoked on other nodes";

    protected override bool HasWork => connections.Sessions.Count > 0;

    protected override async Task PollAsync(UptimeWatchDbContext db, CancellationToken cancellationToken)
    {
        var ids = connections.Sessions.Select(s => s.TokenId).Distinct().ToList();
        var revoked = await db.AgentTokens.AsNoTracking()
            .Where(t => ids.Contains(t.Id) && t.RevokedAt != null)
            .Select(t => t.Id)
            .ToListAsync(cancellationToken);
        revoked.ForEach(connections.Revoke);
    }
}
