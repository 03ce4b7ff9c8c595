using UptimeWatch.Alerting.Channels;
using UptimeWatch.Configuration;

namespace UptimeWatch.Alerting;

/// <summary>
/// A channel as the admin API shows it. <see cref="Destination"/> is <c>scheme://host/…</c> for URLs (a webhook's
/// path is often its credential) or the SMTP relay; <see cref="HasSecret"/> says a secret is set, never what.
/// </summary>
internal sealed record ChannelDescription(string Name, string Type, string? Destination, bool HasSecret, IReadOnlyList<string>? To)
{
    /// <summary>A channel as an API may show it: no secret, URLs as <c>scheme://host/…</c>.</summary>
    public static ChannelDescription Describe(ChannelSettings c)
    {
        if (c.Smtp is { } smtp)
        {
            return new ChannelDescription(c.Name, c.Type, $"smtp://{smtp.Host}:{smtp.Port} ({smtp.Security})",
                !string.IsNullOrEmpty(smtp.Password), smtp.To);
        }
        var url = c.Url ?? (c.Type == "telegram" ? TelegramSender.DefaultApiUrl : null);
        return new ChannelDescription(c.Name, c.Type, url is null ? null : ChannelRedaction.Mask(url), !string.IsNullOrEmpty(c.Secret), null);
    }
}
