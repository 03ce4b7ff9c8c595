using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace UptimeWatch.AdminConsole;

/// <summary>The claims an admin principal carries, and the names of the schemes and policies that check them.</summary>
internal static class AdminClaims
{
    /// <summary>Accepts a session cookie or an API token.</summary>
    public const string Policy = "Admin";

    /// <summary>Accepts only a session cookie: what a stolen token must not be able to do (new tokens, password).</summary>
    public const string SessionPolicy = "AdminSession";

    /// <summary>Picks the cookie or the bearer scheme per request, so exactly one of them answers a challenge.</summary>
    public const string Scheme = "AdminCookieOrToken";

    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string BearerScheme = "ApiToken";

    /// <summary>
    /// Whether the request authenticates with an API token (and nothing else: its cookie, if any, is not read). Picks
    /// the scheme, and exempts the request from the browser-only rules of <see cref="AdminWriteGuard"/>.
    /// </summary>
    public static bool IsBearer(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    public const string AccountId = "uw:account";
    public const string SecurityStamp = "uw:stamp";
    public const string SessionId = "uw:session";
    public const string TokenId = "uw:token";
    public const string TokenName = "uw:token-name";

    /// <summary><c>session</c> or <c>token</c>.</summary>
    public const string Method = "uw:method";

    public static ClaimsPrincipal Session(int accountId, string userName, string securityStamp) =>
        new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, userName),
            new Claim(AccountId, accountId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Claim(SecurityStamp, securityStamp),
            new Claim(SessionId, Guid.NewGuid().ToString("N")),
            new Claim(Method, "session"),
        ], CookieScheme));

    public static ClaimsPrincipal Token(string userName, int tokenId, string tokenName) =>
        new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, userName),
            new Claim(TokenId, tokenId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Claim(TokenName, tokenName),
            new Claim(Method, "token"),
        ], BearerScheme));
}
