using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Configuration;
using UptimeWatch.StatusPage;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>First-run setup, sign-in, sign-out and password change. Passwords are never logged or echoed back.</summary>
internal static partial class AdminAuthApi
{
    private const string WrongPassword = "Wrong user name or password";

    public static IEndpointRouteBuilder MapAdminAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/admin").WithTags("Admin sign-in");
        api.MapGet("/setup", GetSetup).WithName("GetAdminSetup")
            .WithSummary("Whether the admin password still has to be chosen (first run).");
        api.MapPost("/setup", PostSetup).WithName("SetUpAdmin").RequireRateLimiting(AdminConsoleExtensions.LoginRateLimit)
            .WithSummary("Chooses the admin password on first run and signs in. Refused once an account exists.");
        api.MapPost("/login", Login).WithName("AdminLogin").RequireRateLimiting(AdminConsoleExtensions.LoginRateLimit)
            .WithSummary("Signs in with the admin password; sets the session cookie.");
        api.MapPost("/logout", Logout).WithName("AdminLogout")
            .WithSummary("Ends this session and clears its cookie.");
        api.MapGet("/me", Me).WithName("AdminMe").RequireAuthorization(AdminClaims.Policy)
            .WithSummary("Who is signed in, and whether by session or API token.");
        api.MapPost("/password", ChangePassword).WithName("ChangeAdminPassword")
            .RequireAuthorization(AdminClaims.SessionPolicy).RequireRateLimiting(AdminConsoleExtensions.LoginRateLimit)
            .WithSummary("Changes the password: every other session ends; this one is re-issued.");
        return app;
    }

    internal static async Task<Ok<SetupStatus>> GetSetup(UptimeWatchDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(new SetupStatus(!await db.AdminAccounts.AnyAsync(cancellationToken)));

    internal static async Task<Results<Ok<MeResponse>, BadRequest<ProblemResponse>, Conflict<ProblemResponse>>> PostSetup(
        PasswordRequest request, HttpContext context, UptimeWatchDbContext db, IPasswordHasher<AdminAccount> hasher,
        TimeProvider time, ILogger<AdminAuthApiLog> logger, CancellationToken cancellationToken)
    {
        if (PasswordProblem("password", request.Password) is { } problem)
        {
            return TypedResults.BadRequest(problem);
        }
        if (await db.AdminAccounts.AnyAsync(cancellationToken))
        {
            return TypedResults.Conflict(AlreadySetUp);
        }
        var account = AdminAccountFactory.Create(request.Password!, hasher, time);
        db.AdminAccounts.Add(account);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Two first-run requests at once: the unique user name lets exactly one win.
            return TypedResults.Conflict(AlreadySetUp);
        }
        LogSetUp(logger, context.Connection.RemoteIpAddress?.ToString());
        await SignInAsync(context, account);
        return TypedResults.Ok(new MeResponse(account.UserName, "session", null));
    }

    private static readonly ProblemResponse AlreadySetUp =
        new("The admin account already exists: sign in, or change the password from the console", null);

    internal static async Task<Results<Ok<MeResponse>, JsonHttpResult<ProblemResponse>>> Login(
        PasswordRequest request, HttpContext context, UptimeWatchDbContext db, IPasswordHasher<AdminAccount> hasher,
        ILogger<AdminAuthApiLog> logger, CancellationToken cancellationToken)
    {
        var account = await db.AdminAccounts.OrderBy(a => a.Id).FirstOrDefaultAsync(cancellationToken);
        var verdict = account is null || string.IsNullOrEmpty(request.Password) || request.Password.Length > MaxPasswordLength
            ? PasswordVerificationResult.Failed
            : hasher.VerifyHashedPassword(account, account.PasswordHash, request.Password);
        if (account is null || verdict == PasswordVerificationResult.Failed)
        {
            LogLoginFailed(logger, context.Connection.RemoteIpAddress?.ToString());
            // One message whatever went wrong, so the answer does not tell which part was right.
            return TypedResults.Json(new ProblemResponse(WrongPassword, null), statusCode: StatusCodes.Status401Unauthorized);
        }
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            // A hash from an older iteration count: upgrade it while the password is at hand.
            account.PasswordHash = hasher.HashPassword(account, request.Password!);
            await db.SaveChangesAsync(cancellationToken);
        }
        await SignInAsync(context, account);
        return TypedResults.Ok(new MeResponse(account.UserName, "session", null));
    }

    internal static async Task<NoContent> Logout(HttpContext context, AdminSessions sessions, UptimeWatchDbContext db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var result = await context.AuthenticateAsync(AdminClaims.CookieScheme);
        if (result.Principal?.FindFirstValue(AdminClaims.SessionId) is { } sessionId)
        {
            // Remembered for as long as a copy of the cookie could still be valid, then forgotten.
            var now = time.GetUtcNow();
            var forgetBefore = now - AdminConsoleExtensions.SessionLifetime;
            await db.EndedSessions.Where(s => s.EndedAt < forgetBefore).ExecuteDeleteAsync(cancellationToken);
            if (!await db.EndedSessions.AnyAsync(s => s.SessionId == sessionId, cancellationToken))
            {
                db.EndedSessions.Add(new EndedSession { SessionId = sessionId, EndedAt = now });
                await db.SaveChangesAsync(cancellationToken);
            }
            sessions.RevokeSession(sessionId);
        }
        await context.SignOutAsync(AdminClaims.CookieScheme);
        return TypedResults.NoContent();
    }

    internal static Ok<MeResponse> Me(ClaimsPrincipal user) =>
        TypedResults.Ok(new MeResponse(user.Identity?.Name ?? "admin", user.FindFirstValue(AdminClaims.Method) ?? "session",
            user.FindFirstValue(AdminClaims.TokenName)));

    internal static async Task<Results<NoContent, BadRequest<ProblemResponse>, UnauthorizedHttpResult>> ChangePassword(
        PasswordChangeRequest request, HttpContext context, ClaimsPrincipal user, UptimeWatchDbContext db,
        IPasswordHasher<AdminAccount> hasher, AdminSessions sessions, TimeProvider time, ILogger<AdminAuthApiLog> logger,
        CancellationToken cancellationToken)
    {
        if (PasswordProblem("new", request.New) is { } problem)
        {
            return TypedResults.BadRequest(problem);
        }
        var accountId = int.Parse(user.FindFirstValue(AdminClaims.AccountId)!, System.Globalization.CultureInfo.InvariantCulture);
        var account = await db.AdminAccounts.FirstOrDefaultAsync(a => a.Id == accountId, cancellationToken);
        if (account is null)
        {
            return TypedResults.Unauthorized();
        }
        if (string.IsNullOrEmpty(request.Current)
            || hasher.VerifyHashedPassword(account, account.PasswordHash, request.Current) == PasswordVerificationResult.Failed)
        {
            return TypedResults.BadRequest(new ProblemResponse("current is not the current password",
                new Dictionary<string, string> { ["current"] = "is not the current password" }));
        }

        var oldStamp = account.SecurityStamp;
        account.PasswordHash = hasher.HashPassword(account, request.New!);
        account.SecurityStamp = AdminAccountFactory.NewStamp();
        account.PasswordChangedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        // Cookies with the old stamp fail validation from now on; sockets hear it through AdminSessions.
        sessions.RevokeStamp(oldStamp);
        await SignInAsync(context, account);
        LogPasswordChanged(logger, context.Connection.RemoteIpAddress?.ToString());
        return TypedResults.NoContent();
    }

    /// <summary>Hashing is deliberately slow; an unbounded input would make it a way to burn the server's CPU.</summary>
    private const int MaxPasswordLength = 1024;

    private static ProblemResponse? PasswordProblem(string field, string? password)
    {
        if (password is { Length: >= AdminOptions.MinPasswordLength and <= MaxPasswordLength })
        {
            return null;
        }
        // The value is not echoed: it is (meant to be) a password.
        var message = password is { Length: > MaxPasswordLength }
            ? $"must be at most {MaxPasswordLength} characters long"
            : $"must be at least {AdminOptions.MinPasswordLength} characters long";
        return new ProblemResponse($"{field} {message}", new Dictionary<string, string> { [field] = message });
    }

    private static Task SignInAsync(HttpContext context, AdminAccount account) =>
        context.SignInAsync(AdminClaims.CookieScheme, AdminClaims.Session(account.Id, account.UserName, account.SecurityStamp),
            new AuthenticationProperties { IsPersistent = true });

    [LoggerMessage(LogLevel.Warning, "Admin sign-in failed from {ClientIp}")]
    private static partial void LogLoginFailed(ILogger logger, string? clientIp);

    [LoggerMessage(LogLevel.Information, "Admin password chosen on first run from {ClientIp}")]
    private static partial void LogSetUp(ILogger logger, string? clientIp);

    [LoggerMessage(LogLevel.Information, "Admin password changed from {ClientIp}; other sessions ended")]
    private static partial void LogPasswordChanged(ILogger logger, string? clientIp);
}

/// <summary>Log category for <see cref="AdminAuthApi"/> (a static class cannot be a type argument).</summary>
internal sealed class AdminAuthApiLog;

internal sealed record SetupStatus(bool SetupRequired);
internal sealed record PasswordRequest(string? Password);
internal sealed record PasswordChangeRequest(string? Current, string? New);

/// <summary><paramref name="AuthenticatedBy"/> is <c>session</c> or <c>token</c>; <paramref name="TokenName"/> is set for tokens.</summary>
internal sealed record MeResponse(string UserName, string AuthenticatedBy, string? TokenName);
