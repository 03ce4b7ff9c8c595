using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;

namespace UptimeWatch.Alerting.Channels;

/// <summary>
/// The generic webhook: a documented JSON payload (docs/alerting.md), signed with HMAC-SHA256 over the exact body
/// bytes when the channel has a Secret, and an <c>Idempotency-Key</c> a receiver can use to drop a repeat.
/// </summary>
internal sealed class WebhookSender(HttpDelivery delivery, TimeProvider time) : IChannelSender
{
    public const string SignatureHeader = "X-UptimeWatch-Signature";
    public const string TimestampHeader = "X-UptimeWatch-Timestamp";
    public const string EventHeader = "X-UptimeWatch-Event";

    public string Type => "webhook";

    public Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification notification, CancellationToken cancellationToken)
    {
        if (channel.Url is null)
        {
            return Task.FromResult(HttpDelivery.NoUrl(channel));
        }
        var body = Body(notification);
        var request = ChannelJson.Post(channel.Url, body);
        if (!string.IsNullOrEmpty(channel.Secret))
        {
            request.Headers.TryAddWithoutValidation(SignatureHeader, Sign(body, channel.Secret));
        }
        request.Headers.TryAddWithoutValidation(TimestampHeader, time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(EventHeader, notification.Event);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", notification.Key);
        return delivery.SendAsync(channel, request, cancellationToken);
    }

    /// <summary>The payload's bytes, exactly as sent and signed.</summary>
    public static byte[] Body(Notification n) => JsonSerializer.SerializeToUtf8Bytes(
        new WebhookPayload(n.Event, n.IncidentId, n.Key, new WebhookMonitor(n.Monitor, n.MonitorName, n.Target), n.Status,
            n.PreviousStatus, n.Reason, n.At, n.IncidentStartedAt, n.StatusPageUrl, NotificationText.Title(n), NotificationText.Headline(n)),
        ChannelJson.Web);

    /// <summary><c>sha256=</c> and the lowercase hex HMAC-SHA256 of <paramref name="body"/> keyed with the UTF-8 secret.</summary>
    public static string Sign(byte[] body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}

/// <summary>The webhook's JSON body (docs/alerting.md). Field order is the documented order.</summary>
internal sealed record WebhookPayload(
    string Event,
    long IncidentId,
    string Key,
    WebhookMonitor Monitor,
    string Status,
    string? PreviousStatus,
    string Reason,
    DateTimeOffset At,
    DateTimeOffset? IncidentStartedAt,
    string? StatusPageUrl,
    string Title,
    string Text);

internal sealed record WebhookMonitor(string Slug, string Name, string Target);
