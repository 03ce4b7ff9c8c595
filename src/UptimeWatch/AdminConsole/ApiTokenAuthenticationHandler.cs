using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>Authenticates <c>Authorization: Bearer uw_…</c> against the stored hashes of unrevoked API tokens.</summary>
internal sealed partial class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    UptimeWatchDbContext db,
    TimeProvider time) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    private const string Bearer = "Bearer ";

    /// <summary>LastUsedAt is informational; writing it on every call would make each scripted request a write.</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var secret = header[Bearer.Length..].Trim();
        if (!TokenSecret.ApiToken.LooksValid(secret))
        {
            return AuthenticateResult.Fail("Malformed API token");
        }

        var cancellationToken = Context.RequestAborted;
        var hash = TokenSecret.Hash(secret);
        var hex = Convert.ToHexStringLower(hash);
        var token = await db.ApiTokens.AsNoTracking()
            .Where(t => t.Hash == hex)
            .Select(t => new { t.Id, t.Name, t.Hash, t.RevokedAt, t.LastUsedAt })
            .FirstOrDefaultAsync(cancellationToken);
        // The index lookup already matched; the fixed-time compare keeps the final decision free of early exits.
        if (token is null || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(token.Hash), hash))
        {
            return AuthenticateResult.Fail("Unknown API token");
        }
        if (token.RevokedAt is not null)
        {
            LogRevokedTokenUsed(Logger, token.Id, token.Name);
            return AuthenticateResult.Fail("Revoked API token");
        }

        var now = time.GetUtcNow();
        if (token.LastUsedAt is null || now - token.LastUsedAt >= LastUsedResolution)
        {
            var stale = now - LastUsedResolution;
            await db.ApiTokens
                .Where(t => t.Id == token.Id && (t.LastUsedAt == null || t.LastUsedAt <= stale))
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), cancellationToken);
        }

        var userName = await db.AdminAccounts.AsNoTracking().OrderBy(a => a.Id).Select(a => a.UserName)
            .FirstOrDefaultAsync(cancellationToken) ?? "admin";
        return AuthenticateResult.Success(new AuthenticationTicket(AdminClaims.Token(userName, token.Id, token.Name), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return AdminProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized,
            "Sign in, or send a valid API token as \"Authorization: Bearer uw_…\"");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AdminProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "API tokens cannot do this: sign in to the console");

    [LoggerMessage(LogLevel.Warning, "Revoked API token {TokenId} ({TokenName}) was used")]
    private static partial void LogRevokedTokenUsed(ILogger logger, int tokenId, string tokenName);
}
