using UptimeWatch.Configuration;
using UptimeWatch.Journal;
namespace UptimeWatch.Alerting.Channels;

/// <summary>
/// Slack incoming webhook: <c>text</c> (what notifications and old clients show) plus Block Kit blocks.
/// Slack's mrkdwn needs only <c>&amp;</c>, <c>&lt;</c> and <c>&gt;</c> escaped; that also stops a monitor name
/// from smuggling in a <c>&lt;!channel&gt;</c> mention.
/// </summary>
internal sealed class SlackSender(HttpDelivery delivery) : IChannelSender
{
    public string Type => "slack";

    public Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification notification, CancellationToken cancellationToken) =>
        delivery.PostJsonAsync(channel, Payload(notification), cancellationToken);

    public static object Payload(Notification n)
    {
        var title = $"{Emoji(n)} {NotificationText.Title(n)}";
        var blocks = new List<object>
        {
            new { type = "section", text = Markdown($"*{Escape(title)}*\n{Escape(NotificationText.Headline(n))}") },
            new
            {
                type = "section",
                // Block Kit allows at most 10 fields of 2000 characters.
                fields = NotificationText.Facts(n).Take(10)
                    .Select(f => Markdown(ChannelJson.Limit($"*{Escape(f.Label)}*\n{Escape(f.Value)}", 2000)))
                    .ToList(),
            },
        };
        if (n.StatusPageUrl is { Length: > 0 } url)
        {
            blocks.Add(new { type = "context", elements = new[] { Markdown($"<{EscapeLink(url)}|Status page>") } });
        }
        return new { text = Escape(title), blocks };
    }

    private static object Markdown(string text) => new { type = "mrkdwn", text = ChannelJson.Limit(text, 3000) };

    private static string Emoji(Notification n) => NotificationText.Severity(n) switch
    {
        NotificationSeverity.Down => ":red_circle:",
        NotificationSeverity.Warning => ":large_orange_circle:",
        NotificationSeverity.Ok => ":large_green_circle:",
        _ => ":large_blue_circle:",
    };

    public static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    // In <url|label> a '|' or '>' would end the URL early.
    private static string EscapeLink(string url) => Escape(url).Replace("|", "%7C");
}
