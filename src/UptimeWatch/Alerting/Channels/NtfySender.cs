using System.Net.Http.Headers;
using System.Text;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;

namespace UptimeWatch.Alerting.Channels;

/// <summary>
/// ntfy: a plain-text POST to the topic URL with <c>Title</c>, <c>Priority</c>, <c>Tags</c> (emoji) and
/// <c>Click</c> headers, and <c>Authorization: Bearer</c> when the channel has a Secret (an access token).
/// </summary>
internal sealed class NtfySender(HttpDelivery delivery) : IChannelSender
{
    public string Type => "ntfy";

    public Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification notification, CancellationToken cancellationToken)
    {
        if (channel.Url is null)
        {
            return Task.FromResult(HttpDelivery.NoUrl(channel));
        }
        var request = new HttpRequestMessage(HttpMethod.Post, channel.Url)
        {
            Content = new StringContent(NotificationText.PlainText(notification), Encoding.UTF8, "text/plain"),
        };
        request.Headers.TryAddWithoutValidation("Title", HeaderValue(NotificationText.Title(notification)));
        request.Headers.TryAddWithoutValidation("Priority", Priority(notification));
        request.Headers.TryAddWithoutValidation("Tags", Tags(notification));
        if (notification.StatusPageUrl is { Length: > 0 } url && Uri.TryCreate(url, UriKind.Absolute, out var click))
        {
            request.Headers.TryAddWithoutValidation("Click", click.AbsoluteUri);
        }
        if (!string.IsNullOrEmpty(channel.Secret))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", channel.Secret);
        }
        return delivery.SendAsync(channel, request, cancellationToken);
    }

    /// <summary>ntfy priorities 1–5: a down monitor is <c>urgent</c>-adjacent but leaves 5 for the user's own rules.</summary>
    public static string Priority(Notification n) => NotificationText.Severity(n) switch
    {
        NotificationSeverity.Down => "high",
        NotificationSeverity.Warning => "default",
        NotificationSeverity.Ok => "default",
        _ => "low",
    };

    /// <summary>Tags that match an emoji short code show as that emoji in front of the title.</summary>
    public static string Tags(Notification n) => n.Event switch
    {
        "down" or "reminder" => "rotating_light,uptimewatch",
        "recovered" => "white_check_mark,uptimewatch",
        "degraded" => "warning,uptimewatch",
        "certificate" => "lock,uptimewatch",
        "flapping.started" => "twisted_rightwards_arrows,uptimewatch",
        "flapping.stopped" => "heavy_check_mark,uptimewatch",
        _ => "bell,uptimewatch",
    };

    /// <summary>
    /// A header carries one line of ASCII: line breaks become spaces and anything else is sent as an RFC 2047
    /// encoded word, which ntfy decodes.
    /// </summary>
    public static string HeaderValue(string text)
    {
        text = text.Replace('\r', ' ').Replace('\n', ' ');
        return text.All(c => c is >= ' ' and <= '~')
            ? text
            : "=?UTF-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(text)) + "?=";
    }
}
