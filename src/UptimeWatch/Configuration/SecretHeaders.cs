namespace UptimeWatch.Configuration;

/// <summary>
/// The one rule for which request headers of a monitor hold a secret: the admin API shows their values as a mask,
/// and the HTTP probe never sends them to another origin than the monitor's own. One list, so a header that is
/// hidden from the console can never leak to a host a redirect points at.
/// </summary>
internal static class SecretHeaders
{
    /// <summary>A header whose name contains one of these (any case) is a secret: Authorization, Cookie, X-Api-Key, ….</summary>
    public static readonly IReadOnlyList<string> Words = ["auth", "token", "secret", "key", "cookie", "password", "signature"];

    public static bool IsSecret(string headerName)
    {
        foreach (var word in Words)
        {
            if (headerName.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
