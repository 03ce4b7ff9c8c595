using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>API tokens for scripts: created from a signed-in session, the secret shown once, listed without it, revoked.</summary>
internal static partial class ApiTokenApi
{
    public const int MaxNameLength = 100;

    public static IEndpointRouteBuilder MapApiTokenApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/admin/tokens").WithTags("Admin API tokens");
        // A token must not be able to mint more tokens: creating one needs a signed-in session.
        api.MapPost("/", Create).WithName("CreateApiToken").RequireAuthorization(AdminClaims.SessionPolicy)
            .WithSummary("Creates an API token. The secret is in this response only; it cannot be shown again.");
        api.MapGet("/", List).WithName("ListApiTokens").RequireAuthorization(AdminClaims.Policy)
            .WithSummary("Every API token, revoked ones included, without secrets.");
        api.MapDelete("/{id:int}", Revoke).WithName("RevokeApiToken").RequireAuthorization(AdminClaims.Policy)
            .WithSummary("Revokes an API token at once. Revoking twice is not an error.");
        return app;
    }

    internal static async Task<Results<Created<CreatedTokenResponse>, ProblemHttpResult>> Create(
        CreateTokenRequest request, UptimeWatchDbContext db, TimeProvider time, ILogger<ApiTokenApiLog> logger,
        CancellationToken cancellationToken)
    {
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
        {
            return AdminProblems.Result(AdminCommandException.BadRequest("name", request.Name ?? "", $"must be 1 to {MaxNameLength} characters"));
        }
        var secret = TokenSecret.ApiToken.New();
        var token = new ApiToken
        {
            Name = name,
            Prefix = secret[..TokenSecret.ApiToken.PrefixLength],
            Hash = TokenSecret.HashHex(secret),
            CreatedAt = time.GetUtcNow(),
        };
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
        LogCreated(logger, token.Id, token.Name);
        return TypedResults.Created($"/api/admin/tokens/{token.Id}",
            new CreatedTokenResponse(token.Id, token.Name, token.Prefix, secret, token.CreatedAt));
    }

    internal static async Task<Ok<TokensResponse>> List(UptimeWatchDbContext db, CancellationToken cancellationToken)
    {
        var tokens = await db.ApiTokens.AsNoTracking()
            .OrderBy(t => t.Id)
            .Select(t => new TokenDto(t.Id, t.Name, t.Prefix, t.CreatedAt, t.LastUsedAt, t.RevokedAt))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new TokensResponse(tokens));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Revoke(
        int id, UptimeWatchDbContext db, AdminSessions sessions, TimeProvider time, ILogger<ApiTokenApiLog> logger,
        CancellationToken cancellationToken)
    {
        if (!await db.ApiTokens.AnyAsync(t => t.Id == id, cancellationToken))
        {
            return AdminProblems.Result(AdminErrorCodes.NotFound, $"No API token {id}");
        }
        var now = time.GetUtcNow();
        // The first revocation time is kept: it is the one that matters when reading the list later.
        var revoked = await db.ApiTokens.Where(t => t.Id == id && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
        if (revoked > 0)
        {
            sessions.RevokeToken(id);
            LogRevoked(logger, id);
        }
        return TypedResults.NoContent();
    }

    [LoggerMessage(LogLevel.Information, "API token {TokenId} ({TokenName}) created")]
    private static partial void LogCreated(ILogger logger, int tokenId, string tokenName);

    [LoggerMessage(LogLevel.Information, "API token {TokenId} revoked")]
    private static partial void LogRevoked(ILogger logger, int tokenId);
}

/// <summary>Log category for <see cref="ApiTokenApi"/>.</summary>
internal sealed class ApiTokenApiLog;

internal sealed record CreateTokenRequest(string? Name);

/// <summary>The only response that ever contains <paramref name="Secret"/>.</summary>
internal sealed record CreatedTokenResponse(int Id, string Name, string Prefix, string Secret, DateTimeOffset CreatedAt);
internal sealed record TokenDto(int Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);
internal sealed record TokensResponse(IReadOnlyList<TokenDto> Tokens);
