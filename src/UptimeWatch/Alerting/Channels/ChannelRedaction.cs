using UptimeWatch.Configuration;

namespace UptimeWatch.Alerting.Channels;

/// <summary>
/// Keeps secrets out of error texts and API answers. Slack, Discord and Teams webhook URLs are credentials in
/// themselves (the path is the key), and a Telegram URL carries the bot token: only scheme and host are shown.
/// </summary>
internal static class ChannelRedaction
{
    /// <summary><c>https://hooks.slack.com/…</c>: scheme, host and port; no user info, path or query.</summary>
    public static string Mask(Uri url) => url.IsAbsoluteUri ? $"{url.Scheme}://{url.Authority}/…" : "(relative URL)";

    /// <summary>
    /// <paramref name="text"/> with every secret of <paramref name="channel"/> and of <paramref name="requestUrl"/>
    /// replaced, for text that came from elsewhere (exception messages, a receiver's error body).
    /// </summary>
    public static string Redact(string text, ChannelSettings channel, Uri? requestUrl = null)
    {
        foreach (var url in new[] { requestUrl, channel.Url })
        {
            if (url is null || !url.IsAbsoluteUri)
            {
                continue;
            }
            text = Replace(text, url.AbsoluteUri, Mask(url));
            text = Replace(text, url.OriginalString, Mask(url));
            if (url.PathAndQuery.Length > 1)
            {
                text = Replace(text, url.PathAndQuery, "/…");
                text = Replace(text, Uri.UnescapeDataString(url.PathAndQuery), "/…");
            }
            if (url.UserInfo.Length > 0)
            {
                text = Replace(text, url.UserInfo, "***");
            }
        }
        foreach (var secret in new[] { channel.Secret, channel.Smtp?.Password })
        {
            // Very short secrets would turn ordinary words into stars; they are rejected by nobody, but rare.
            if (secret is { Length: >= 4 })
            {
                text = Replace(text, secret, "***");
            }
        }
        return text;
    }

    private static string Replace(string text, string secret, string mask) =>
        secret.Length == 0 ? text : text.Replace(secret, mask, StringComparison.OrdinalIgnoreCase);
}
