using System.Globalization;
using System.Text.RegularExpressions;
using MimeKit;

namespace UptimeWatch.Configuration;

/// <summary>
/// Reads and validates <c>UptimeWatch:Alerting:Channels</c> by hand, like the rest of the configuration: every
/// problem at once, each naming the key and the value, except that a secret (tokens, passwords, webhook URLs
/// whose path is the credential) is only ever described by its length.
/// </summary>
internal static partial class ChannelConfigReader
{
    public static readonly string[] Types = ["webhook", "slack", "discord", "teams", "telegram", "ntfy", "email"];

    private static readonly string[] AllKeys = ["Type", "Url", "Secret", "ChatId", "Host", "Port", "Security", "UserName", "Password", "From", "To"];

    /// <summary>The keys each type uses besides Type.</summary>
    private static readonly Dictionary<string, string[]> KeysByType = new(StringComparer.Ordinal)
    {
        ["webhook"] = ["Url", "Secret"],
        ["slack"] = ["Url"],
        ["discord"] = ["Url"],
        ["teams"] = ["Url"],
        ["telegram"] = ["Url", "Secret", "ChatId"],
        ["ntfy"] = ["Url", "Secret"],
        ["email"] = ["Host", "Port", "Security", "UserName", "Password", "From", "To"],
    };

    public static IReadOnlyList<ChannelSettings> Read(IConfigurationSection channels, List<string> errors)
    {
        // Messages use the path below UptimeWatch, like every other configuration error.
        var prefix = channels.Path.StartsWith(UptimeWatchOptions.Section + ":", StringComparison.OrdinalIgnoreCase)
            ? channels.Path[(UptimeWatchOptions.Section.Length + 1)..]
            : channels.Path;
        if (channels.Value is { Length: > 0 })
        {
            errors.Add($"{prefix} must be an object of named channels, like {prefix}:ops:Type = \"slack\"");
            return [];
        }

        var result = new List<ChannelSettings>();
        var children = channels.GetChildren().ToList();
        if (children.Count > 0 && children.All(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            // A JSON array would "work" with channels named 0, 1, 2 — and rules could never name them sensibly.
            errors.Add($"{prefix} must be an object of named channels, like \"{prefix}\": {{ \"ops\": {{ \"Type\": \"slack\", … }} }}, not a list");
            return [];
        }
        foreach (var section in children)
        {
            if (ReadOne(section, $"{prefix}:{section.Key}", errors) is { } channel)
            {
                result.Add(channel);
            }
        }
        return result;
    }

    private static ChannelSettings? ReadOne(IConfigurationSection section, string path, List<string> errors)
    {
        var errorCount = errors.Count;
        var name = section.Key;
        if (!ChannelName().IsMatch(name))
        {
            errors.Add($"{path}: the channel name \"{name}\" must be 1–50 letters, digits, '-' or '_'");
        }
        if (section.Value is not null && !section.GetChildren().Any())
        {
            errors.Add($"{path} must be an object with a Type and that type's settings, not a single value");
            return null;
        }

        var typeText = section["Type"]?.Trim();
        string? type = null;
        if (string.IsNullOrEmpty(typeText))
        {
            errors.Add($"{path}:Type is required: one of {string.Join(", ", Types)}");
        }
        else if (Types.FirstOrDefault(t => t.Equals(typeText, StringComparison.OrdinalIgnoreCase)) is { } known)
        {
            type = known;
        }
        else
        {
            var hint = ClosestName.Find(typeText, Types);
            errors.Add($"{path}:Type \"{typeText}\" is not a channel type: one of {string.Join(", ", Types)}" +
                       (hint is null ? "" : $" (did you mean \"{hint}\"?)"));
        }

        var used = type is null ? AllKeys : KeysByType[type];
        foreach (var child in section.GetChildren())
        {
            var key = AllKeys.FirstOrDefault(k => k.Equals(child.Key, StringComparison.OrdinalIgnoreCase));
            if (key is null)
            {
                var hint = ClosestName.Find(child.Key, AllKeys);
                errors.Add($"{path}:{child.Key} is not a known channel setting" + (hint is null ? "" : $" (did you mean {path}:{hint}?)"));
            }
            else if (key != "Type" && !used.Contains(key))
            {
                errors.Add($"{path}:{child.Key} does not apply to a {type} channel (it uses {string.Join(", ", used)})");
            }
            else if (key != "To" && child.GetChildren().Any())
            {
                errors.Add($"{path}:{child.Key} must be a single value, not an object or a list");
            }
        }
        if (type is null)
        {
            return null;
        }

        var settings = type switch
        {
            "email" => new ChannelSettings { Name = name, Type = type, Smtp = ReadSmtp(section, path, errors) },
            "telegram" => new ChannelSettings
            {
                Name = name,
                Type = type,
                Url = ReadUrl(section, path, required: false, errors),
                Secret = ReadBotToken(section, path, errors),
                ChatId = ReadChatId(section, path, errors),
            },
            _ => new ChannelSettings
            {
                Name = name,
                Type = type,
                Url = ReadUrl(section, path, required: true, errors),
                Secret = Optional(section, "Secret"),
            },
        };
        return errors.Count == errorCount ? settings : null;
    }

    private static Uri? ReadUrl(IConfigurationSection section, string path, bool required, List<string> errors)
    {
        var text = Optional(section, "Url");
        if (text is null)
        {
            if (required)
            {
                errors.Add($"{path}:Url is required: the {(section["Type"] ?? "").Trim().ToLowerInvariant()} URL to POST to");
            }
            return null;
        }
        if (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.Host.Length > 0)
        {
            return url;
        }
        // Slack, Discord and Teams URLs are credentials: show where it starts, never the path.
        errors.Add($"{path}:Url ({Glimpse(text)}, {text.Length} characters) must be an absolute http(s) URL, like https://hooks.example.com/…");
        return null;
    }

    private static string? ReadBotToken(IConfigurationSection section, string path, List<string> errors)
    {
        var secret = Optional(section, "Secret");
        if (secret is null)
        {
            errors.Add($"{path}:Secret is required for a telegram channel: the bot token from @BotFather (123456:ABC…)");
            return null;
        }
        if (!BotToken().IsMatch(secret))
        {
            errors.Add($"{path}:Secret (a secret, {secret.Length} characters) is not a bot token: expected digits, ':' and letters, digits, '-' or '_', as @BotFather gives it");
            return null;
        }
        return secret;
    }

    private static string? ReadChatId(IConfigurationSection section, string path, List<string> errors)
    {
        var chat = Optional(section, "ChatId");
        if (chat is null)
        {
            errors.Add($"{path}:ChatId is required for a telegram channel: a numeric chat id (e.g. -1001234567890) or @channelname");
            return null;
        }
        if (!ChatIdPattern().IsMatch(chat))
        {
            errors.Add($"{path}:ChatId \"{chat}\" must be a numeric chat id (e.g. -1001234567890) or @channelname");
            return null;
        }
        return chat;
    }

    private static SmtpSettings? ReadSmtp(IConfigurationSection section, string path, List<string> errors)
    {
        var start = errors.Count;

        var host = Optional(section, "Host");
        if (host is null)
        {
            errors.Add($"{path}:Host is required for an email channel: the SMTP server, e.g. smtp.example.com");
        }
        else if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            errors.Add($"{path}:Host \"{host}\" is not a host name or IP address (no scheme or port: put the port in {path}:Port)");
        }

        var security = SmtpSecurity.StartTls;
        if (Optional(section, "Security") is { } securityText)
        {
            if (Enum.TryParse<SmtpSecurity>(securityText, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !char.IsDigit(securityText[0]))
            {
                security = parsed;
            }
            else
            {
                var hint = ClosestName.Find(securityText, Enum.GetNames<SmtpSecurity>());
                errors.Add($"{path}:Security \"{securityText}\" must be StartTls, Tls or None" + (hint is null ? "" : $" (did you mean {hint}?)"));
            }
        }

        var port = security switch { SmtpSecurity.Tls => 465, SmtpSecurity.None => 25, _ => 587 };
        if (Optional(section, "Port") is { } portText)
        {
            if (int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed is >= 1 and <= 65535)
            {
                port = parsed;
            }
            else
            {
                errors.Add($"{path}:Port \"{portText}\" must be a whole number from 1 to 65535");
            }
        }

        var user = Optional(section, "UserName");
        var password = section["Password"];
        if (user is not null && string.IsNullOrEmpty(password))
        {
            errors.Add($"{path}:Password is required when {path}:UserName (\"{user}\") is set");
        }
        if (user is null && !string.IsNullOrEmpty(password))
        {
            errors.Add($"{path}:Password (a secret, {password.Length} characters) is set but {path}:UserName is not: set both to log in, or neither");
        }

        string? from = null;
        if (Optional(section, "From") is not { } fromText)
        {
            errors.Add($"{path}:From is required for an email channel: the sender, e.g. \"UptimeWatch <alerts@example.com>\"");
        }
        else if (Mailbox(fromText) is { } mailbox)
        {
            from = mailbox;
        }
        else
        {
            errors.Add($"{path}:From \"{fromText}\" is not an email address (e.g. alerts@example.com or \"UptimeWatch <alerts@example.com>\")");
        }

        var to = ReadRecipients(section.GetSection("To"), path, errors);

        return errors.Count == start ? new SmtpSettings(host!, port, security, user, user is null ? null : password, from!, to) : null;
    }

    /// <summary>A list (<c>To:0</c>, <c>To:1</c>) or one string of comma-separated addresses (handy in an environment variable).</summary>
    private static List<string> ReadRecipients(IConfigurationSection section, string path, List<string> errors)
    {
        var recipients = new List<string>();
        if (section.Value is { } single && !string.IsNullOrWhiteSpace(single))
        {
            if (InternetAddressList.TryParse(single, out var list) && list.Count > 0 && list.All(a => a is MailboxAddress m && m.Address.Contains('@')))
            {
                recipients.AddRange(list.Mailboxes.Select(m => m.ToString()));
            }
            else
            {
                errors.Add($"{path}:To \"{single}\" must be email addresses separated by commas (or a list)");
            }
        }
        else
        {
            foreach (var item in section.GetChildren())
            {
                if (item.Value is { } text && Mailbox(text) is { } mailbox)
                {
                    recipients.Add(mailbox);
                }
                else
                {
                    errors.Add($"{path}:To:{item.Key} \"{item.Value}\" is not an email address");
                }
            }
        }
        if (recipients.Count == 0 && !errors.Any(e => e.StartsWith($"{path}:To", StringComparison.Ordinal)))
        {
            errors.Add($"{path}:To is required for an email channel: one or more addresses, as a list or separated by commas");
        }
        return recipients;
    }

    private static string? Mailbox(string text) =>
        MailboxAddress.TryParse(text.Trim(), out var mailbox) && mailbox.Address.Contains('@') && mailbox.Address.IndexOf('@') > 0
            ? mailbox.ToString()
            : null;

    private static string? Optional(IConfigurationSection section, string key) =>
        section[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <summary>The start of a URL up to its host (never its path, which may be the credential).</summary>
    private static string Glimpse(string text)
    {
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        var end = scheme < 0 ? Math.Min(text.Length, 8) : text.IndexOf('/', scheme + 3) is var slash and >= 0 ? slash : text.Length;
        end = Math.Min(end, 40);
        return $"\"{text[..end]}{(end < text.Length ? "…" : "")}\"";
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,50}$")]
    private static partial Regex ChannelName();

    [GeneratedRegex("^[0-9]+:[A-Za-z0-9_-]+$")]
    private static partial Regex BotToken();

    [GeneratedRegex("^(-?[0-9]+|@[A-Za-z0-9_]{4,})$")]
    private static partial Regex ChatIdPattern();
}
