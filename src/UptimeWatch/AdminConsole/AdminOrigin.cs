namespace UptimeWatch.AdminConsole;

/// <summary>
/// The one Origin rule of the admin surface, used by the WebSocket upgrade and by every cookie write under
/// <c>/api/admin</c>: a request that carries an <c>Origin</c> must come from this site's own origin (scheme, host
/// and port as the browser reached it, after forwarded headers) or from one of <c>Admin:AllowedOrigins</c>.
/// SameSite=Strict alone does not cover this: a sibling subdomain is the same site.
/// </summary>
internal static class AdminOrigin
{
    /// <summary>This request's own origin as a browser writes it: scheme://host[:port], lower case, default port left out.</summary>
    public static string SiteOrigin(HttpRequest request) => Normalise($"{request.Scheme}://{request.Host.Value}") ?? "";

    /// <summary>The Origin header when it is present and not allowed (as sent, for the message and the log); otherwise null.</summary>
    public static string? Refused(HttpRequest request, string site, IReadOnlyList<string> allowed)
    {
        if (!request.Headers.TryGetValue("Origin", out var values))
        {
            return null;
        }
        var sent = values.ToString();
        var origin = Normalise(sent);
        if (origin is not null && (origin == site || allowed.Contains(origin, StringComparer.Ordinal)))
        {
            return null;
        }
        // The header is the caller's text: bounded before it goes into a message or the log.
        return sent.Length > 200 ? sent[..200] + "…" : sent;
    }

    private static string? Normalise(string origin) =>
        Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.UserInfo.Length == 0
            ? uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant()
            : null;
}
