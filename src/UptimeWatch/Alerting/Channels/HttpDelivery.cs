using System.Text;
using UptimeWatch.Configuration;

namespace UptimeWatch.Alerting.Channels;

/// <summary>
/// Sends one prepared request with the <c>notify</c> client and turns what happened into a
/// <see cref="DeliveryOutcome"/>: 2xx delivered; 408, 425, 429, 5xx, network errors and timeouts worth retrying;
/// any other answer permanent. Shared by every HTTP channel so they all judge the same way.
/// </summary>
internal sealed class HttpDelivery(IHttpClientFactory clients, TimeProvider time)
{
    public const string ClientName = "notify";

    /// <summary>At most this much of an error answer is read, for the excerpt in the attempts log.</summary>
    public const int MaxErrorBodyBytes = 4096;

    private const int MaxExcerptChars = 300;

    /// <summary>A receiver asking for more than this is treated as asking for this.</summary>
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromHours(24);

    /// <summary>
    /// POSTs <paramref name="payload"/> as compact JSON to the channel's URL: all a chat channel does besides
    /// building its body (Slack, Discord, Teams).
    /// </summary>
    public Task<DeliveryOutcome> PostJsonAsync(ChannelSettings channel, object payload, CancellationToken cancellationToken) =>
        channel.Url is null
            ? Task.FromResult(NoUrl(channel))
            : SendAsync(channel, ChannelJson.Post(channel.Url, payload), cancellationToken);

    /// <summary>Sends <paramref name="request"/> (and disposes it).</summary>
    public async Task<DeliveryOutcome> SendAsync(ChannelSettings channel, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var owned = request;
        var url = request.RequestUri!;
        var where = ChannelRedaction.Mask(url);
        try
        {
            using var response = await clients.CreateClient(ClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            if (status is >= 200 and <= 299)
            {
                return DeliveryOutcome.Ok(status);
            }

            var excerpt = await ExcerptAsync(response, cancellationToken);
            var error = $"HTTP {status} {response.ReasonPhrase} from {where}";
            if (status is >= 300 and <= 399)
            {
                // Redirects are not followed: a POST turned into a GET would be reported as delivered.
                var location = response.Headers.Location is { IsAbsoluteUri: true } to ? $" to {ChannelRedaction.Mask(to)}" : "";
                error += $" (a redirect{location}; set the channel's URL to the final address)";
            }
            if (excerpt.Length > 0)
            {
                error += ": " + excerpt;
            }
            error = ChannelRedaction.Redact(error, channel, url);

            var retryable = status is 408 or 425 or 429 or >= 500;
            var retryAfter = status is 429 or 503 ? RetryAfter(response) : null;
            return new DeliveryOutcome(false, status, error, Permanent: !retryable, RetryAfter: retryAfter);
        }
        catch (OperationCanceledException)
        {
            // The dispatcher's per-attempt deadline (or shutdown): either way this attempt is over, the next may work.
            return new DeliveryOutcome(false, null, $"timed out: no answer from {where} before the attempt's deadline");
        }
        catch (HttpRequestException ex)
        {
            var reason = ex.InnerException is { } inner && inner.Message != ex.Message ? $"{ex.Message} ({inner.Message})" : ex.Message;
            return new DeliveryOutcome(false, null, ChannelRedaction.Redact($"could not reach {where}: {reason}", channel, url));
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : null);
        // Discord sends fractional seconds ("1.5"), which the typed header does not parse.
        if (wait is null && response.Headers.TryGetValues("Retry-After", out var raw) &&
            double.TryParse(raw.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) &&
            double.IsFinite(seconds))
        {
            wait = TimeSpan.FromSeconds(Math.Min(seconds, MaxRetryAfter.TotalSeconds));
        }
        if (wait is not { } value)
        {
            return null;
        }
        return value < TimeSpan.Zero ? TimeSpan.Zero : value > MaxRetryAfter ? MaxRetryAfter : value;
    }

    /// <summary>The start of the answer's body, on one line: enough to see "invalid_token" or "chat not found".</summary>
    private static async Task<string> ExcerptAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[MaxErrorBodyBytes];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
            {
                total += read;
            }
            var text = Encoding.UTF8.GetString(buffer, 0, total);
            text = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            return text.Length > MaxExcerptChars ? text[..MaxExcerptChars] + "…" : text;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
        {
            // The status already says what matters; a body cut short is no reason to lose it.
            return "";
        }
    }

    /// <summary>Why a request could not even be built, as an outcome (a bad URL cannot get better by retrying).</summary>
    public static DeliveryOutcome Misconfigured(string message) => new(false, null, message, Permanent: true);

    /// <summary>A channel that posts to its URL has none (start-up validation normally stops that earlier).</summary>
    public static DeliveryOutcome NoUrl(ChannelSettings channel) => Misconfigured($"channel {channel.Name} has no Url");
}
