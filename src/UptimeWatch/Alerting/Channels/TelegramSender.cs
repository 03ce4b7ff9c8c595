using System.Net;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;

namespace UptimeWatch.Alerting.Channels;

/// <summary>
/// Telegram Bot API <c>sendMessage</c> with <c>parse_mode</c> HTML. The bot token (the channel's Secret) is part
/// of the request path, so the URL is never shown anywhere; <see cref="DefaultApiUrl"/> unless Url says otherwise.
/// </summary>
internal sealed class TelegramSender(HttpDelivery delivery) : IChannelSender
{
    public static readonly Uri DefaultApiUrl = new("https://api.telegram.org");

    public string Type => "telegram";

    public Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification notification, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(channel.Secret) || string.IsNullOrEmpty(channel.ChatId))
        {
            return Task.FromResult(HttpDelivery.Misconfigured($"channel {channel.Name} needs a Secret (the bot token) and a ChatId"));
        }
        var api = (channel.Url ?? DefaultApiUrl).AbsoluteUri.TrimEnd('/');
        var url = new Uri($"{api}/bot{channel.Secret}/sendMessage");
        var payload = new
        {
            chat_id = channel.ChatId,
            text = Text(notification),
            parse_mode = "HTML",
            link_preview_options = new { is_disabled = true },
        };
        return delivery.SendAsync(channel, ChannelJson.Post(url, payload), cancellationToken);
    }

    /// <summary>The message in Telegram's HTML subset; every user-typed value escaped.</summary>
    public static string Text(Notification n)
    {
        var lines = new List<string>
        {
            $"<b>{Escape(NotificationText.Title(n))}</b>",
            Escape(NotificationText.Headline(n)),
            "",
        };
        // Telegram's limit is 4096 characters; a long reason is cut before escaping so no entity is cut in half.
        lines.AddRange(NotificationText.Facts(n).Select(f => $"<b>{Escape(f.Label)}:</b> {Escape(ChannelJson.Limit(f.Value, 1000))}"));
        if (n.StatusPageUrl is { Length: > 0 } url)
        {
            lines.Add($"<a href=\"{Escape(url)}\">Status page</a>");
        }
        return string.Join('\n', lines);
    }

    /// <summary>Telegram accepts &amp;lt; &amp;gt; &amp;amp; &amp;quot; and numeric entities: what HtmlEncode emits.</summary>
    public static string Escape(string text) => WebUtility.HtmlEncode(text);
}
