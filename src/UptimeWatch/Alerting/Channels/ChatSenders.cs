using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace UptimeWatch.Alerting.Channels;

/// <summary>Slack incoming webhook: a text fallback and a section block in Slack's mrkdwn (&amp;, &lt;, &gt; escaped).</summary>
internal sealed class SlackSender(IHttpClientFactory clients) : IChannelSender
{
    public string Type => "slack";

    public Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification n, CancellationToken cancellationToken)
    {
        var text = $"*{Escape(NotificationText.Title(n))}*\n{Escape(NotificationText.Detail(n))}"
            + (n.StatusPageUrl is { } url ? $"\n<{Escape(url)}|Status page>" : "");
        var body = new JsonObject
        {
            ["text"] = NotificationText.Title(n),
            ["blocks"] = new JsonArray(new JsonObject
            {
                ["type"] = "section",
                ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = text },
            }),
        };
        return ChatPost.SendAsync(clients, channel, channel.Url!, body, cancellationToken);
    }

    public static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}

/// <summary>Discord webhook: one embed coloured by the news; no mentions are ever parsed from user text.</summary>
internal sealed class DiscordSender(IHttpClientFactory clients) : IChannelSender
{
    public string Type => "discord";

    public Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification n, CancellationToken cancellationToken)
    {
        var embed = new JsonObject
        {
            ["title"] = Truncate(NotificationText.Title(n), 256),
            ["description"] = Truncate(NotificationText.Detail(n), 4000),
            ["color"] = NotificationText.Colour(n),
            ["timestamp"] = n.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (n.StatusPageUrl is { } url)
        {
            embed["url"] = url;
        }
        var body = new JsonObject
        {
            ["username"] = "UptimeWatch",
            ["embeds"] = new JsonArray(embed),
            // A monitor named "@everyone" must not ping a whole server.
            ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() },
        };
        return ChatPost.SendAsync(clients, channel, channel.Url!, body, cancellationToken);
    }

    private static string Truncate(string text, int max) => text.Length > max ? text[..(max - 1)] + "…" : text;
}

/// <summary>Microsoft Teams "Workflows" webhook: a message with one Adaptive Card (text blocks are plain, not markdown-parsed for links).</summary>
internal sealed class TeamsSender(IHttpClientFactory clients) : IChannelSender
{
    public string Type => "teams";

    public Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification n, CancellationToken cancellationToken)
    {
        var card = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = new JsonArray(
                new JsonObject { ["type"] = "TextBlock", ["text"] = NotificationText.Title(n), ["weight"] = "Bolder", ["size"] = "Medium", ["wrap"] = true },
                new JsonObject { ["type"] = "TextBlock", ["text"] = NotificationText.Detail(n), ["wrap"] = true }),
        };
        if (n.StatusPageUrl is { } url)
        {
            card["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = "Status page", ["url"] = url });
        }
        var body = new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray(new JsonObject { ["contentType"] = "application/vnd.microsoft.card.adaptive", ["content"] = card }),
        };
        return ChatPost.SendAsync(clients, channel, channel.Url!, body, cancellationToken);
    }
}

/// <summary>Telegram bot: <c>sendMessage</c> to one chat, HTML parse mode with everything escaped.</summary>
internal sealed class TelegramSender(IHttpClientFactory clients) : IChannelSender
{
    public static readonly Uri DefaultApi = new("https://api.telegram.org/");

    public string Type => "telegram";

    public Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification n, CancellationToken cancellationToken)
    {
        var text = $"<b>{WebUtility.HtmlEncode(NotificationText.Title(n))}</b>\n{WebUtility.HtmlEncode(NotificationText.Detail(n))}"
            + (n.StatusPageUrl is { } url ? $"\n<a href=\"{WebUtility.HtmlEncode(url)}\">Status page</a>" : "");
        var body = new JsonObject
        {
            ["chat_id"] = channel.ChatId,
            ["text"] = text,
            ["parse_mode"] = "HTML",
            ["disable_web_page_preview"] = true,
        };
        var api = channel.Url ?? DefaultApi;
        // "./": a token looks like "123:abc", which would otherwise read as a URI scheme.
        var endpoint = new Uri(api, $"./bot{channel.Secret}/sendMessage");
        return ChatPost.SendAsync(clients, channel, endpoint, body, cancellationToken);
    }
}

/// <summary>ntfy: JSON publishing to the server root (UTF-8 safe, unlike headers), topic from the channel URL's last segment.</summary>
internal sealed class NtfySender(IHttpClientFactory clients) : IChannelSender
{
    public string Type => "ntfy";

    public Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification n, CancellationToken cancellationToken)
    {
        var url = channel.Url!;
        var path = url.AbsolutePath.TrimEnd('/');
        var topic = path[(path.LastIndexOf('/') + 1)..];
        var server = new Uri(url, path[..(path.LastIndexOf('/') + 1)]);
        var body = new JsonObject
        {
            ["topic"] = topic,
            ["title"] = NotificationText.Title(n),
            ["message"] = NotificationText.Detail(n),
            ["priority"] = NotificationText.Priority(n),
            ["tags"] = new JsonArray(NotificationText.Emoji(n)),
        };
        if (n.StatusPageUrl is { } click)
        {
            body["click"] = click;
        }
        return ChatPost.SendAsync(clients, channel, server, body, cancellationToken,
            channel.Secret is { Length: > 0 } token ? request => request.Headers.Authorization = new("Bearer", token) : null);
    }
}

internal static class ChatPost
{
    public static async Task<DeliveryOutcome> SendAsync(IHttpClientFactory clients, ChannelSettings channel, Uri endpoint, JsonObject body,
        CancellationToken cancellationToken, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = JsonContent.Create(body) };
        configure?.Invoke(request);
        return await HttpDelivery.SendAsync(clients, request, channel, cancellationToken);
    }
}
