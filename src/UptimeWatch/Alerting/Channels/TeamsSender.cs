using System.Text.RegularExpressions;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;

namespace UptimeWatch.Alerting.Channels;

/// <summary>
/// Microsoft Teams through a Workflows ("When a Teams webhook request is received") URL: a message with one
/// Adaptive Card attachment, which the workflow posts to the channel. The old Office 365 connector MessageCard
/// format is retired. Teams renders TextBlock text and fact titles and values as Markdown, so user text is escaped:
/// a monitor named <c>[click](https://…)</c> must not become a link in the ops channel.
/// </summary>
internal sealed partial class TeamsSender(HttpDelivery delivery) : IChannelSender
{
    public string Type => "teams";

    public Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification notification, CancellationToken cancellationToken) =>
        delivery.PostJsonAsync(channel, Payload(notification), cancellationToken);

    public static object Payload(Notification n)
    {
        var body = new List<object>
        {
            new { type = "TextBlock", text = Escape(NotificationText.Title(n)), weight = "Bolder", size = "Medium", color = Colour(n), wrap = true },
            new { type = "TextBlock", text = Escape(NotificationText.Headline(n)), wrap = true },
            new { type = "FactSet", facts = NotificationText.Facts(n).Select(f => new { title = Escape(f.Label), value = Escape(f.Value) }).ToList() },
        };
        var card = new Dictionary<string, object>
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = body,
            ["msteams"] = new { width = "Full" },
        };
        if (n.StatusPageUrl is { Length: > 0 } url)
        {
            card["actions"] = new[] { new { type = "Action.OpenUrl", title = "Status page", url } };
        }
        return new
        {
            type = "message",
            attachments = new[]
            {
                new
                {
                    contentType = "application/vnd.microsoft.card.adaptive",
                    content = card,
                },
            },
        };
    }

    private static string Colour(Notification n) => NotificationText.Severity(n) switch
    {
        NotificationSeverity.Down => "Attention",
        NotificationSeverity.Warning => "Warning",
        NotificationSeverity.Ok => "Good",
        _ => "Accent",
    };

    /// <summary>
    /// A backslash before each character that could start Markdown (CommonMark lets any ASCII punctuation be escaped
    /// this way), so the text shows as typed: no link, image, emphasis, code, HTML or entity. Line-start markers
    /// (lists, quotes, headings) are escaped where they would take effect.
    /// </summary>
    public static string Escape(string text) => LineStartMarker().Replace(MarkdownCharacter().Replace(text, @"\$0"), @"$1\$2");

    [GeneratedRegex(@"[\\`*_~\[\]()<>&!#|]")]
    private static partial Regex MarkdownCharacter();

    // "- item", "+ item", "=" (a heading underline) and "1. item" only mean something at a line start ("1)" has its
    // parenthesis escaped already).
    [GeneratedRegex(@"^(\s*(?:\d{1,9}(?=\.))?)([-+=.])", RegexOptions.Multiline)]
    private static partial Regex LineStartMarker();
}
