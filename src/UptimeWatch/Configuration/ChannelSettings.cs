namespace UptimeWatch.Configuration;

/// <summary>One configured channel (<c>UptimeWatch:Alerting:Channels:{Name}</c>), validated.</summary>
internal sealed record ChannelSettings
{
    public required string Name { get; init; }

    /// <summary><c>webhook</c>, <c>slack</c>, <c>discord</c>, <c>teams</c>, <c>telegram</c>, <c>ntfy</c> or <c>email</c>.</summary>
    public required string Type { get; init; }

    /// <summary>The webhook URL (webhook, slack, discord, teams), the topic URL (ntfy) or the API base (telegram).</summary>
    public Uri? Url { get; init; }

    /// <summary>webhook: the HMAC-SHA256 key. telegram: the bot token. ntfy: an access token.</summary>
    public string? Secret { get; init; }

    /// <summary>telegram: the chat id.</summary>
    public string? ChatId { get; init; }

    public SmtpSettings? Smtp { get; init; }
}

internal sealed record SmtpSettings(
    string Host,
    int Port,
    SmtpSecurity Security,
    string? UserName,
    string? Password,
    string From,
    IReadOnlyList<string> To);

internal enum SmtpSecurity
{
    /// <summary>STARTTLS, required (the default).</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465).</summary>
    Tls,

    /// <summary>Plain text: only for a relay on the same machine.</summary>
    None,
}
