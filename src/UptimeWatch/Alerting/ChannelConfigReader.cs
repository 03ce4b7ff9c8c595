using System.Globalization;
using System.Text.RegularExpressions;
using UptimeWatch.Configuration;

namespace UptimeWatch.Alerting;

/// <summary>
/// Reads <c>UptimeWatch:Alerting:Channels</c>: one named section per channel. Every problem names the key and the value,
/// except secrets, which are described by their length only.
/// </summary>
internal static partial class ChannelConfigReader
{
    /// <summary>The channel types this build can deliver to.</summary>
    public static readonly string[] Types = ["webhook", "slack", "discord", "teams", "telegram", "ntfy"];

    private static readonly string[] Keys = ["Type", "Url", "Secret", "ChatId", "Host", "Port", "Security", "UserName", "Password", "From", "To"];
    private static readonly string[] EmailKeys = ["Host", "Port", "Security", "UserName", "Password", "From", "To"];

    public static IReadOnlyList<ChannelSettings> Read(IConfigurationSection channels, List<string> errors)
    {
        var result = new List<ChannelSettings>();
        foreach (var channel in channels.GetChildren())
        {
            var path = $"Alerting:Channels:{channel.Key}";
            if (!NamePattern().IsMatch(channel.Key))
            {
                errors.Add($"{path}: the channel name \"{channel.Key}\" must be 1 to 50 letters, digits, '-' or '_'");
                continue;
            }
            foreach (var child in channel.GetChildren().Where(c => !Keys.Contains(c.Key, StringComparer.OrdinalIgnoreCase)))
            {
                var hint = ClosestName.Find(child.Key, Keys);
                errors.Add($"{path}:{child.Key} is not a channel setting" + (hint is null ? "" : $" (did you mean {hint}?)"));
            }
            var type = channel["Type"]?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(type))
            {
                errors.Add($"{path}:Type is required ({string.Join(", ", Types)})");
                continue;
            }
            if (!Types.Contains(type))
            {
                errors.Add($"{path}:Type \"{channel["Type"]}\" is not a channel type this version supports ({string.Join(", ", Types)})");
                continue;
            }
            foreach (var key in EmailKeys.Where(k => channel[k] is not null))
            {
                errors.Add($"{path}:{key} is only for email channels");
            }

            var before = errors.Count;
            var telegram = type == "telegram";
            var url = ReadUrl(channel, path, required: !telegram, type, errors);
            if (type == "ntfy" && url is not null && url.AbsolutePath.Trim('/').Length == 0)
            {
                errors.Add($"{path}:Url \"{url}\" must end with the topic, e.g. https://ntfy.sh/my-alerts");
            }
            var secret = channel["Secret"];
            if (type is "slack" or "discord" or "teams" && secret is not null)
            {
                errors.Add($"{path}:Secret is not used by {type} channels: the webhook URL is the secret");
            }
            else if (type == "webhook" && secret is not null && secret.Length is < 16 or > 512)
            {
                errors.Add($"{path}:Secret (\"***\", {secret.Length.ToString(CultureInfo.InvariantCulture)} characters) must be 16 to 512 characters long");
            }
            else if (telegram && string.IsNullOrWhiteSpace(secret))
            {
                errors.Add($"{path}:Secret is required: the bot token from @BotFather");
            }
            var chatId = channel["ChatId"]?.Trim();
            if (telegram && string.IsNullOrEmpty(chatId))
            {
                errors.Add($"{path}:ChatId is required: the chat (or channel, \"@name\") the bot posts to");
            }
            else if (!telegram && chatId is not null)
            {
                errors.Add($"{path}:ChatId is only for telegram channels");
            }
            if (errors.Count == before)
            {
                result.Add(new ChannelSettings
                {
                    Name = channel.Key, Type = type, Url = url, Secret = string.IsNullOrEmpty(secret) ? null : secret, ChatId = chatId,
                });
            }
        }
        return result;
    }

    private static Uri? ReadUrl(IConfigurationSection channel, string path, bool required, string type, List<string> errors)
    {
        var url = channel["Url"]?.Trim();
        if (string.IsNullOrEmpty(url))
        {
            if (required)
            {
                errors.Add($"{path}:Url is required: where the {type} notifications are posted");
            }
            return null;
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            // The URL of a webhook may carry a token: show its start only.
            errors.Add($"{path}:Url \"{Shorten(url)}\" is not an absolute http(s) URL");
            return null;
        }
        return uri;
    }

    private static string Shorten(string text) => text.Length > 30 ? text[..30] + "…" : text;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,50}$")]
    private static partial Regex NamePattern();
}
