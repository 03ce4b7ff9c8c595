using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Configuration;
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
            .WithSummary("Chooses the admin password on first run with the one-time setup code from the log, and signs in. Refused once an account exists.");
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

    internal static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> PostSetup(
        SetupRequest request, HttpContext context, UptimeWatchDbContext db, PasswordHashGate hashing, SetupCode setupCode,
        TimeProvider time, ILogger<AdminAuthApiLog> logger, CancellationToken cancellationToken)
    {
        if (await db.AdminAccounts.AnyAsync(cancellationToken))
        {
            return AlreadySetUp();
        }
        // The code first: without it nothing else about the request is worth an answer. Each try counts against the
        // sign-in rate limit (the endpoint's), so guessing 60 bits at 10 a minute is hopeless.
        if (string.IsNullOrWhiteSpace(request.SetupCode))
        {
            return AdminProblems.Result(AdminErrorCodes.BadRequest, $"setupCode is required: {WhereTheCodeIs}",
                new Dictionary<string, string> { ["setupCode"] = "is required" });
        }
        if (!setupCode.Matches(request.SetupCode))
        {
            LogWrongSetupCode(logger, context.Connection.RemoteIpAddress?.ToString());
            // Not echoed: it may be a typo of the real one.
            return AdminProblems.Result(AdminErrorCodes.Forbidden, $"setupCode is not this start's setup code: {WhereTheCodeIs}",
                new Dictionary<string, string> { ["setupCode"] = "is not this start's setup code" });
        }
        if (PasswordProblem("password", request.Password) is { } problem)
        {
            return AdminProblems.Result(problem);
        }
        var account = AdminAccountFactory.Create(time);
        if (await hashing.HashAsync(account, request.Password!, cancellationToken) is not { } hash)
        {
            return PasswordHashGate.Busy(context);
        }
        account.PasswordHash = hash;
        db.AdminAccounts.Add(account);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Two first-run requests at once: the unique user name lets exactly one win.
            return AlreadySetUp();
        }
        setupCode.Retire();
        LogSetUp(logger, context.Connection.RemoteIpAddress?.ToString());
        await SignInAsync(context, account);
        return TypedResults.Ok(new MeResponse(account.UserName, "session", null));
    }

    /// <summary>Where the owner finds the setup code; the data directory's path is not told to a stranger.</summary>
    private const string WhereTheCodeIs =
        "UptimeWatch prints it in its log at start (\"First-run setup code: …\") and writes it to the file setup-code in its data directory (/data/setup-code in the Docker image)";

    private static ProblemHttpResult AlreadySetUp() =>
        AdminProblems.Result(AdminErrorCodes.Conflict, "The admin account already exists: sign in, or change the password from the console");

    internal static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> Login(
        PasswordRequest request, HttpContext context, UptimeWatchDbContext db, PasswordHashGate hashing,
        ILogger<AdminAuthApiLog> logger, CancellationToken cancellationToken)
    {
        var account = await db.AdminAccounts.OrderBy(a => a.Id).FirstOrDefaultAsync(cancellationToken);
        var verdict = account is null || string.IsNullOrEmpty(request.Password) || request.Password.Length > MaxPasswordLength
            ? PasswordVerificationResult.Failed
            : await hashing.VerifyAsync(account, account.PasswordHash, request.Password, cancellationToken);
        if (verdict is null)
        {
            return PasswordHashGate.Busy(context);
        }
        if (account is null || verdict == PasswordVerificationResult.Failed)
        {
            LogLoginFailed(logger, context.Connection.RemoteIpAddress?.ToString());
            // One message whatever went wrong, so the answer does not tell which part was right.
            return AdminProblems.Result(AdminErrorCodes.Unauthorized, WrongPassword);
        }
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            // A hash from an older iteration count: upgrade it while the password is at hand.
            if (await hashing.HashAsync(account, request.Password!, cancellationToken) is { } upgraded)
            {
                account.PasswordHash = upgraded;
                await db.SaveChangesAsync(cancellationToken);
            }
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

    internal static async Task<Results<NoContent, ProblemHttpResult>> ChangePassword(
        PasswordChangeRequest request, HttpContext context, ClaimsPrincipal user, UptimeWatchDbContext db,
        PasswordHashGate hashing, AdminSessions sessions, TimeProvider time, ILogger<AdminAuthApiLog> logger,
        CancellationToken cancellationToken)
    {
        if (PasswordProblem("new", request.New) is { } problem)
        {
            return AdminProblems.Result(problem);
        }
        var accountId = int.Parse(user.FindFirstValue(AdminClaims.AccountId)!, System.Globalization.CultureInfo.InvariantCulture);
        var account = await db.AdminAccounts.FirstOrDefaultAsync(a => a.Id == accountId, cancellationToken);
        if (account is null)
        {
            return AdminProblems.Result(AdminErrorCodes.Unauthorized, "The account no longer exists: sign in again");
        }
        var verdict = string.IsNullOrEmpty(request.Current) || request.Current.Length > MaxPasswordLength
            ? PasswordVerificationResult.Failed
            : await hashing.VerifyAsync(account, account.PasswordHash, request.Current, cancellationToken);
        if (verdict is null)
        {
            return PasswordHashGate.Busy(context);
        }
        if (verdict == PasswordVerificationResult.Failed)
        {
            return AdminProblems.Result(AdminCommandException.BadRequest("current", null, "is not the current password"));
        }

        if (await hashing.HashAsync(account, request.New!, cancellationToken) is not { } hash)
        {
            return PasswordHashGate.Busy(context);
        }
        var oldStamp = account.SecurityStamp;
        account.PasswordHash = hash;
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

    private static AdminCommandException? PasswordProblem(string field, string? password)
    {
        if (password is { Length: >= AdminOptions.MinPasswordLength and <= MaxPasswordLength })
        {
            return null;
        }
        // The value is not echoed: it is (meant to be) a password.
        var message = password is { Length: > MaxPasswordLength }
            ? $"must be at most {MaxPasswordLength} characters long"
            : $"must be at least {AdminOptions.MinPasswordLength} characters long";
        return AdminCommandException.BadRequest(field, null, message);
    }

    private static Task SignInAsync(HttpContext context, AdminAccount account) =>
        context.SignInAsync(AdminClaims.CookieScheme, AdminClaims.Session(account.Id, account.UserName, account.SecurityStamp),
            new AuthenticationProperties { IsPersistent = true });

    [LoggerMessage(LogLevel.Warning, "Admin sign-in failed from {ClientIp}")]
    private static partial void LogLoginFailed(ILogger logger, string? clientIp);

    [LoggerMessage(LogLevel.Warning, "First-run setup refused from {ClientIp}: wrong setup code")]
    private static partial void LogWrongSetupCode(ILogger logger, string? clientIp);

    [LoggerMessage(LogLevel.Information, "Admin password chosen on first run from {ClientIp}")]
    private static partial void LogSetUp(ILogger logger, string? clientIp);

    [LoggerMessage(LogLevel.Information, "Admin password changed from {ClientIp}; other sessions ended")]
    private static partial void LogPasswordChanged(ILogger logger, string? clientIp);
}

/// <summary>Log category for <see cref="AdminAuthApi"/> (a static class cannot be a type argument).</summary>
internal sealed class AdminAuthApiLog;

internal sealed record SetupStatus(bool SetupRequired);
internal sealed record PasswordRequest(string? Password);

/// <summary>First-run setup: the password to choose, and the one-time code from the log or the data directory.</summary>
internal sealed record SetupRequest(string? Password, string? SetupCode);
internal sealed record PasswordChangeRequest(string? Current, string? New);

/// <summary><paramref name="AuthenticatedBy"/> is <c>session</c> or <c>token</c>; <paramref name="TokenName"/> is set for tokens.</summary>
internal sealed record MeResponse(string UserName, string AuthenticatedBy, string? TokenName);
