using UptimeWatch.Configuration;
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

/// <summary>Sends a notification to one kind of channel, formatted the way that service expects.</summary>
internal interface IChannelSender
{
    /// <summary>The <see cref="ChannelSettings.Type"/> it handles.</summary>
    string Type { get; }

    /// <summary>One attempt, bounded by <paramref name="cancellationToken"/> (the dispatcher gives each attempt a deadline).</summary>
    Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification notification, CancellationToken cancellationToken);
}
