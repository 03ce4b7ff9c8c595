using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace UptimeWatch.Alerting.Channels;

/// <summary>
/// The generic webhook: a JSON POST (documented in docs/alerting.md), signed with HMAC-SHA256 over the exact body
/// bytes when the channel has a secret, so a receiver can tell it came from us and was not altered.
/// </summary>
internal sealed class WebhookSender(IHttpClientFactory clients, TimeProvider time) : IChannelSender
{
    public string Type => "webhook";

    public async Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification notification, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(Payload(notification), NotificationJson.Options);
        using var request = new HttpRequestMessage(HttpMethod.Post, channel.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add("X-UptimeWatch-Event", notification.Event);
        request.Headers.Add("X-UptimeWatch-Timestamp", time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("Idempotency-Key", notification.Key);
        if (channel.Secret is { Length: > 0 } secret)
        {
            request.Headers.Add("X-UptimeWatch-Signature", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
        }
        return await HttpDelivery.SendAsync(clients, request, channel, cancellationToken);
    }

    /// <summary>The documented payload: stable field names, the monitor nested.</summary>
    public static object Payload(Notification n) => new
    {
        n.Event,
        n.IncidentId,
        n.Key,
        Monitor = new { Slug = n.Monitor, Name = n.MonitorName, n.Target },
        n.Status,
        n.PreviousStatus,
        n.Reason,
        n.At,
        n.IncidentStartedAt,
        n.StatusPageUrl,
    };
}

/// <summary>Sends one HTTP request for a channel and turns whatever happens into a <see cref="DeliveryOutcome"/>.</summary>
internal static class HttpDelivery
{
    /// <summary>How much of a refusal's body is kept for the attempts log.</summary>
    private const int ErrorExcerptBytes = 4096;

    public static async Task<DeliveryOutcome> SendAsync(IHttpClientFactory clients, HttpRequestMessage request, ChannelSettings channel,
        CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(ChannelsExtensions.HttpClientName);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            // Never the full URL: for chat webhooks the path is the secret.
            return new DeliveryOutcome(false, null, $"{Where(channel)}: {ex.HttpRequestError switch
            {
                HttpRequestError.ConnectionError => "could not connect",
                HttpRequestError.NameResolutionError => "the host name does not resolve",
                HttpRequestError.SecureConnectionError => "the TLS handshake failed",
                _ => "the request failed",
            }} ({ex.InnerException?.Message ?? ex.Message})".Replace(channel.Url?.ToString() ?? "\u0000", Where(channel), StringComparison.Ordinal));
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return DeliveryOutcome.Ok(status);
            }
            var excerpt = await ExcerptAsync(response, cancellationToken);
            var error = $"{Where(channel)} answered {status} {response.ReasonPhrase}{(excerpt.Length > 0 ? $": {excerpt}" : "")}";
            var retryable = status is 408 or 425 or 429 || status >= 500;
            TimeSpan? retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - DateTimeOffset.UtcNow,
                _ => null,
            };
            return new DeliveryOutcome(false, status, error, Permanent: !retryable, RetryAfter: retryAfter);
        }
    }

    /// <summary>The channel's address as it may be shown: scheme and host, never the path.</summary>
    public static string Where(ChannelSettings channel) => channel.Url is { } url ? $"{url.Scheme}://{url.Authority}/…" : channel.Name;

    private static async Task<string> ExcerptAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[ErrorExcerptBytes];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
        {
            read += n;
        }
        var text = Encoding.UTF8.GetString(buffer, 0, read).ReplaceLineEndings(" ").Trim();
        return text.Length > 200 ? text[..200] + "…" : text;
    }
}
