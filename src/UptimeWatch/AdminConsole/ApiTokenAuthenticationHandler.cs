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
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var cancellationToken = Context.RequestAborted;
        var (outcome, token) = await BearerTokens.FindAsync(Request, TokenSecret.ApiToken, db.ApiTokens,
            tokens => tokens.Select(t => new StoredApiToken(t.Id, t.Name, t.Hash, t.RevokedAt, t.LastUsedAt)), time, cancellationToken);
        switch (outcome)
        {
            case BearerOutcome.Absent:
                return AuthenticateResult.NoResult();
            case BearerOutcome.Malformed:
                return AuthenticateResult.Fail("Malformed API token");
            case BearerOutcome.Unknown:
                return AuthenticateResult.Fail("Unknown API token");
            case BearerOutcome.Revoked:
                LogRevokedTokenUsed(Logger, token!.Id, token.Name);
                return AuthenticateResult.Fail("Revoked API token");
        }

        var userName = await db.AdminAccounts.AsNoTracking().OrderBy(a => a.Id).Select(a => a.UserName)
            .FirstOrDefaultAsync(cancellationToken) ?? "admin";
        return AuthenticateResult.Success(new AuthenticationTicket(AdminClaims.Token(userName, token!.Id, token.Name), Scheme.Name));
    }

    private sealed record StoredApiToken(int Id, string Name, string Hash, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt) : IStoredToken;

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
