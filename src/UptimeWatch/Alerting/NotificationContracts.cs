using UptimeWatch.Journal;
namespace UptimeWatch.Alerting;

/// <summary>What one delivery attempt came to.</summary>
/// <param name="Delivered">The receiver accepted it.</param>
/// <param name="StatusCode">The receiver's HTTP status (or SMTP reply code), when there was one.</param>
/// <param name="Error">Why not, in words, for the attempts log (never containing a secret).</param>
/// <param name="Permanent">Retrying cannot help (e.g. 400/401/403/404 from a webhook): give up now.</param>
/// <param name="RetryAfter">The receiver asked to wait this long (HTTP 429 Retry-After).</param>
internal sealed record DeliveryOutcome(bool Delivered, int? StatusCode, string? Error, bool Permanent = false, TimeSpan? RetryAfter = null)
{
    public static DeliveryOutcome Ok(int? statusCode) => new(true, statusCode, null);
}

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

/// <summary>Sends a notification to one kind of channel, formatted the way that service expects.</summary>
internal interface IChannelSender
{
    /// <summary>The <see cref="ChannelSettings.Type"/> it handles.</summary>
    string Type { get; }

    /// <summary>One attempt, bounded by <paramref name="cancellationToken"/> (the dispatcher gives each attempt a deadline).</summary>
    Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification notification, CancellationToken cancellationToken);
}
