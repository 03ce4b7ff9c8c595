using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>Session cookie behaviour for an API: JSON answers instead of redirects, and the security-stamp check.</summary>
internal sealed class AdminCookieEvents : CookieAuthenticationEvents
{
    /// <summary>
    /// Every request re-reads the account's stamp (one indexed row), so a password change ends other sessions at
    /// once rather than at some revalidation interval, and it stays right with several nodes on one database.
    /// </summary>
    public override async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        var stamp = principal?.FindFirstValue(AdminClaims.SecurityStamp);
        if (principal is null || stamp is null
            || !int.TryParse(principal.FindFirstValue(AdminClaims.AccountId), NumberStyles.None, CultureInfo.InvariantCulture, out var accountId))
        {
            await RejectAsync(context);
            return;
        }
        var db = context.HttpContext.RequestServices.GetRequiredService<UptimeWatchDbContext>();
        var session = principal.FindFirstValue(AdminClaims.SessionId) ?? "";
        var current = await db.AdminAccounts.AsNoTracking().Where(a => a.Id == accountId)
            .Select(a => new { a.SecurityStamp, Ended = db.EndedSessions.Any(s => s.SessionId == session) })
            .FirstOrDefaultAsync(context.HttpContext.RequestAborted);
        if (current is null || current.Ended || !string.Equals(current.SecurityStamp, stamp, StringComparison.Ordinal))
        {
            await RejectAsync(context);
        }
    }

    /// <remarks>
    /// The browser's cookie is left alone (no sign-out here): after a password change, the page's next request may still
    /// carry the old cookie while the response with the new one is on its way, and clearing "the" cookie in that
    /// rejection would delete the new one. A rejected cookie costs one indexed read per request until the next sign-in.
    /// </remarks>
    private static Task RejectAsync(CookieValidatePrincipalContext context)
    {
        context.RejectPrincipal();
        return Task.CompletedTask;
    }

    public override Task RedirectToLogin(RedirectContext<CookieAuthenticationOptions> context) =>
        AdminProblems.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, "Sign in to the admin console first");

    public override Task RedirectToAccessDenied(RedirectContext<CookieAuthenticationOptions> context) =>
        AdminProblems.WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden, "Not allowed");

    // Sign-in and sign-out are API calls here: no redirect after either.
    public override Task RedirectToLogout(RedirectContext<CookieAuthenticationOptions> context) => Task.CompletedTask;

    public override Task RedirectToReturnUrl(RedirectContext<CookieAuthenticationOptions> context) => Task.CompletedTask;
}
