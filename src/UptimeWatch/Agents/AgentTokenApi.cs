using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.AdminConsole;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.Agents;

/// <summary>
/// Agent tokens, from the console: one per agent, scoped to a location (created with its first token), the secret shown
/// once, listed without it, revoked (the agent using it is disconnected at once).
/// </summary>
internal static partial class AgentTokenApi
{
    public static IEndpointRouteBuilder MapAgentTokenApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/admin/agent-tokens").WithTags("Agent tokens");
        // As for API tokens: a token must not be able to mint more; creating one needs a signed-in session.
        api.MapPost("/", Create).WithName("CreateAgentToken").RequireAuthorization(AdminClaims.SessionPolicy)
            .WithSummary("Creates an agent token for a location (and the location, the first time). The secret is in this response only.");
        api.MapGet("/", List).WithName("ListAgentTokens").RequireAuthorization(AdminClaims.Policy)
            .WithSummary("Every agent token, revoked ones included, with its location and the agents connected with it to this node, without secrets.");
        api.MapDelete("/{id:int}", Revoke).WithName("RevokeAgentToken").RequireAuthorization(AdminClaims.Policy)
            .WithSummary("Revokes an agent token at once and disconnects the agent using it. Revoking twice is not an error.");
        return app;
    }

    internal static async Task<Results<Created<CreatedAgentTokenResponse>, ProblemHttpResult>> Create(
        CreateAgentTokenRequest request, IDbContextFactory<UptimeWatchDbContext> dbFactory, IOptions<UptimeWatchOptions> options,
        TimeProvider time, ILogger<AgentTokenApiLog> logger, CancellationToken cancellationToken)
    {
        if (LocationName.Normalize(request.Location) is not { } location)
        {
            return AdminProblems.Result(AdminCommandException.BadRequest("location", request.Location ?? "", $"must be {LocationName.Rule}"));
        }
        if (location.Equals(options.Value.Location, StringComparison.OrdinalIgnoreCase))
        {
            return AdminProblems.Result(AdminCommandException.BadRequest("location", location,
                "is this server's own location (UptimeWatch:Location); an agent probes from somewhere else, under a name of its own"));
        }
        var secret = AgentTokens.Secret.New();
        var now = time.GetUtcNow();
        (var locationId, location) = await LocationAsync(dbFactory, location, now, cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var token = new AgentToken
        {
            LocationId = locationId,
            Prefix = secret[..AgentTokens.Secret.PrefixLength],
            Hash = TokenSecret.HashHex(secret),
            CreatedAt = now,
        };
        db.AgentTokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
        LogCreated(logger, token.Id, location);
        return TypedResults.Created($"/api/admin/agent-tokens/{token.Id}",
            new CreatedAgentTokenResponse(token.Id, location, token.Prefix, secret, token.CreatedAt));
    }

    /// <summary>
    /// The location's id and name as stored, its row created on first use. Names are unique whatever their case ("EU-West" is "eu-west"):
    /// the first spelling stays. Two consoles creating the same new location at once: the loser reads the winner's row.
    /// </summary>
    private static async Task<(int Id, string Name)> LocationAsync(IDbContextFactory<UptimeWatchDbContext> dbFactory, string name, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var existing = await db.Locations.AsNoTracking().Select(l => new { l.Id, l.Name }).ToListAsync(cancellationToken);
            if (existing.FirstOrDefault(l => l.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } found)
            {
                return (found.Id, found.Name);
            }
            var row = new ProbeLocation { Name = name, CreatedAt = now };
            db.Locations.Add(row);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return (row.Id, row.Name);
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                // Created by another request meanwhile (the unique name): read it.
            }
        }
    }

    internal static async Task<Ok<AgentTokensResponse>> List(UptimeWatchDbContext db, AgentConnections connections, CancellationToken cancellationToken)
    {
        var rows = await db.AgentTokens.AsNoTracking()
            .Join(db.Locations, t => t.LocationId, l => l.Id, (t, l) => new { t, l.Name })
            .OrderBy(x => x.t.Id)
            .Select(x => new { x.t.Id, x.Name, x.t.Prefix, x.t.CreatedAt, x.t.LastUsedAt, x.t.RevokedAt })
            .ToListAsync(cancellationToken);
        // From this node's memory, so free to ask; on a cluster an agent connected to another node is not counted here.
        var open = connections.OpenByToken();
        var tokens = rows.Select(r => new AgentTokenDto(r.Id, r.Name, r.Prefix, r.CreatedAt, r.LastUsedAt, r.RevokedAt,
            open.GetValueOrDefault(r.Id))).ToList();
        return TypedResults.Ok(new AgentTokensResponse(tokens));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Revoke(
        int id, UptimeWatchDbContext db, AgentConnections connections, TimeProvider time, ILogger<AgentTokenApiLog> logger,
        CancellationToken cancellationToken)
    {
        if (!await db.AgentTokens.AnyAsync(t => t.Id == id, cancellationToken))
        {
            return AdminProblems.Result(AdminErrorCodes.NotFound, $"No agent token {id}");
        }
        var now = time.GetUtcNow();
        // The first revocation time is kept.
        var revoked = await db.AgentTokens.Where(t => t.Id == id && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
        if (revoked > 0)
        {
            LogRevoked(logger, id);
        }
        // Even when revoked before: an agent may still be connected on this node if the revocation was made on another.
        connections.Revoke(id);
        return TypedResults.NoContent();
    }

    [LoggerMessage(LogLevel.Information, "Agent token {TokenId} created for the location {Location}")]
    private static partial void LogCreated(ILogger logger, int tokenId, string location);

    [LoggerMessage(LogLevel.Information, "Agent token {TokenId} revoked")]
    private static partial void LogRevoked(ILogger logger, int tokenId);
}

/// <summary>Log category for <see cref="AgentTokenApi"/>.</summary>
internal sealed class AgentTokenApiLog;

internal sealed record CreateAgentTokenRequest(string? Location);

/// <summary>The only response that ever contains <paramref name="Secret"/>.</summary>
internal sealed record CreatedAgentTokenResponse(int Id, string Location, string Prefix, string Secret, DateTimeOffset CreatedAt);
/// <param name="Connections">Agent sockets open with this token on the node that answered, now.</param>
internal sealed record AgentTokenDto(int Id, string Location, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt,
    int Connections);
internal sealed record AgentTokensResponse(IReadOnlyList<AgentTokenDto> Tokens);
