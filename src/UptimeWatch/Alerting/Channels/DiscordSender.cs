using System.Text.RegularExpressions;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;

namespace UptimeWatch.Alerting.Channels;

/// <summary>
/// Discord webhook: a short <c>content</c> line and one embed coloured by severity. Mentions are switched off
/// (<c>allowed_mentions</c>), so a monitor named "@everyone" pings nobody; markdown in user text is escaped.
/// </summary>
internal sealed partial class DiscordSender(HttpDelivery delivery) : IChannelSender
{
    public string Type => "discord";

    public Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification notification, CancellationToken cancellationToken) =>
        delivery.PostJsonAsync(channel, Payload(notification), cancellationToken);

    public static object Payload(Notification n)
    {
        var title = NotificationText.Title(n);
        return new
        {
            username = "UptimeWatch",
            content = ChannelJson.Limit(Escape(title), 2000),
            allowed_mentions = new { parse = Array.Empty<string>() },
            embeds = new[]
            {
                new
                {
                    // Limits from Discord's embed documentation: title 256, description 4096, 25 fields of 1024.
                    title = ChannelJson.Limit(title, 256),
                    description = ChannelJson.Limit(Escape(NotificationText.Headline(n)), 4096),
                    url = n.StatusPageUrl is { Length: > 0 } link ? link : null,
                    color = Colour(n),
                    fields = NotificationText.Facts(n).Take(25)
                        .Select(f => new { name = f.Label, value = ChannelJson.Limit(EscapeValue(f.Value), 1024), inline = f.Value.Length <= 40 })
                        .ToList(),
                    timestamp = n.At.ToUniversalTime().ToString("O"),
                },
            },
        };
    }

    public static int Colour(Notification n) => NotificationText.Severity(n) switch
    {
        NotificationSeverity.Down => 0xE74C3C,
        NotificationSeverity.Warning => 0xF39C12,
        NotificationSeverity.Ok => 0x2ECC71,
        _ => 0x3498DB,
    };

    /// <summary>A backslash before each markdown character, so text shows as typed (and @everyone stays text).</summary>
    public static string Escape(string text) => LineStartMarker().Replace(MarkdownCharacter().Replace(text, @"\$0"), @"\$0");

    // A URL is left as it is: Discord links it, and a backslash inside would break the link.
    private static string EscapeValue(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && !value.Any(char.IsWhiteSpace) ? value : Escape(value);

    [GeneratedRegex(@"[\\*_~`|\[\]]")]
    private static partial Regex MarkdownCharacter();

    // Quotes, headings and list items only start a line.
    [GeneratedRegex(@"^[>#-]", RegexOptions.Multiline)]
    private static partial Regex LineStartMarker();
}
