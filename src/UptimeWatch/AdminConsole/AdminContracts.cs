using System.Text.Json;
using System.Text.Json.Nodes;
using UptimeWatch.Configuration;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// A refused admin operation, with a code that both transports map the same way (see docs/admin-protocol.md):
/// the WebSocket sends it as an <c>error</c> reply, REST as problem details with the matching HTTP status.
/// </summary>
internal sealed class AdminCommandException(string code, string message, IReadOnlyDictionary<string, string>? fields = null)
    : Exception(message)
{
    public string Code { get; } = code;

    /// <summary>Field → problem, for <c>validation</c> errors.</summary>
    public IReadOnlyDictionary<string, string>? Fields { get; } = fields;

    public static AdminCommandException NotFound(string what, string value) => new(AdminErrorCodes.NotFound, $"No {what} \"{value}\"");

    public static AdminCommandException BadRequest(string field, string? value, string message) =>
        new(AdminErrorCodes.BadRequest, value is null ? $"{field} {message}" : $"{field} \"{value}\" {message}",
            new Dictionary<string, string> { [field] = message });
}

internal static class AdminErrorCodes
{
    public const string BadRequest = "bad_request";
    public const string UnknownCommand = "unknown_command";
    public const string Validation = "validation";
    public const string NotFound = "not_found";
    public const string ConfigManaged = "config_managed";
    public const string Conflict = "conflict";
    public const string Internal = "internal";

    /// <summary>REST only: a browser write from an origin other than the site's own (<see cref="AdminWriteGuard"/>).</summary>
    public const string CrossOrigin = "cross_origin";

    /// <summary>REST only: a browser write whose body is not <c>application/json</c>.</summary>
    public const string UnsupportedMediaType = "unsupported_media_type";

    /// <summary>REST only: not signed in, wrong password, or the session or token has ended.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>REST only: signed in, but not allowed this (a token creating tokens, a wrong setup code, a refused origin).</summary>
    public const string Forbidden = "forbidden";

    /// <summary>REST only: the sign-in rate limit.</summary>
    public const string TooManyRequests = "too_many_requests";

    /// <summary>REST only: the server is too busy hashing passwords; try again after <c>Retry-After</c>.</summary>
    public const string Unavailable = "unavailable";

    public static int HttpStatus(string code) => code switch
    {
        NotFound => StatusCodes.Status404NotFound,
        Unauthorized => StatusCodes.Status401Unauthorized,
        CrossOrigin or Forbidden => StatusCodes.Status403Forbidden,
        UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        ConfigManaged or Conflict => StatusCodes.Status409Conflict,
        TooManyRequests => StatusCodes.Status429TooManyRequests,
        Internal => StatusCodes.Status500InternalServerError,
        Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>The code of a status set outside an endpoint (authentication, the rate limiter).</summary>
    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => Unauthorized,
        StatusCodes.Status403Forbidden => Forbidden,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status429TooManyRequests => TooManyRequests,
        StatusCodes.Status503ServiceUnavailable => Unavailable,
        >= 500 => Internal,
        _ => BadRequest,
    };
}

/// <summary>One monitor as the console and the write API show it.</summary>
internal sealed record MonitorView(
    string Slug,
    string Name,
    string? Group,
    string Type,
    string Target,
    int IntervalSeconds,
    bool Public,
    string Source,
    string? ConfigFile,
    string Status,
    DateTimeOffset? StatusSince,
    DateTimeOffset? LastCheckedAt,
    int? LastResponseMs,
    string? PushUrl,
    IReadOnlyList<RecentCheck> Recent,
    IReadOnlyList<MaintenanceView> Maintenance,
    JsonObject Definition)
{
    /// <summary>Flapping: a flag beside the status (the console shows "unstable"); repeated notifications are held back meanwhile.</summary>
    public bool Flapping { get; init; }
}

internal sealed record RecentCheck(DateTimeOffset At, string Outcome, int? ResponseMs);

internal sealed record MaintenanceView(long Id, string Monitor, DateTimeOffset Start, DateTimeOffset End, string? Reason);

/// <summary>The result of <c>monitors.checkNow</c>.</summary>
internal sealed record CheckNowResult(
    string Slug, DateTimeOffset At, string Outcome, int? ResponseMs, int? HttpStatus, string? Error, bool Recorded, string Status)
{
    public bool Flapping { get; init; }
}

internal sealed record ConfigStatus(string? File, IReadOnlyList<string> Errors);

/// <summary>A notification channel as APIs show it: no secret, and only the scheme and host of its URL.</summary>
internal sealed record ChannelView(string Name, string Type, string? Url);

internal sealed record ChannelTestResult(string Channel, bool Delivered, int? StatusCode, string? Error);

/// <summary>One notification in the outbox and what became of it.</summary>
internal sealed record NotificationView(long Id, string Key, long? AlertId, string Monitor, string Channel, string Event, string State, int Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt, DateTimeOffset? DoneAt, string? LastError, IReadOnlyList<AttemptView> AttemptLog);

internal sealed record AttemptView(DateTimeOffset At, bool Delivered, int? StatusCode, string? Error, int DurationMs);

/// <summary>Turns a JSON monitor object into the flattened "Field" / "Group:Field" text the validator reads.</summary>
internal static class MonitorJson
{
    /// <summary>What secret values read as; sent back unchanged in an update, it keeps the stored value.</summary>
    public const string Mask = "********";

    /// <summary>Flattens like .NET configuration does: objects by key, arrays by index, scalars as text.</summary>
    public static Dictionary<string, string?> Flatten(JsonElement monitor, string field = "monitor")
    {
        if (monitor.ValueKind != JsonValueKind.Object)
        {
            throw AdminCommandException.BadRequest(field, null, "must be a JSON object of monitor fields");
        }
        var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Walk(monitor, "", fields);
        return fields;
    }

    /// <summary>
    /// Whether a field holds a secret, shown as <see cref="Mask"/>: credentials, and header values whose
    /// name suggests one (<see cref="SecretHeaders"/>, the list the probe also keeps from other origins).
    /// </summary>
    public static bool IsSecret(string key)
    {
        if (key.Equals("BearerToken", StringComparison.OrdinalIgnoreCase) || key.Equals("BasicAuth:Password", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (!key.StartsWith("Headers:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        return SecretHeaders.IsSecret(key["Headers:".Length..]);
    }

    /// <summary>
    /// The reverse of <see cref="Flatten"/>: nested objects, and arrays where every key of a level is 0, 1, 2, ….
    /// For display (<paramref name="mask"/>) values stay text and secrets are masked; for export whole numbers become
    /// numbers (the configuration reads them back as the same text).
    /// </summary>
    public static JsonObject Nest(IReadOnlyDictionary<string, string?> fields, bool mask)
    {
        var root = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in fields.OrderBy(f => Array.FindIndex(Leading, l => l.Equals(f.Key, StringComparison.OrdinalIgnoreCase)) is var i && i >= 0 ? i : Leading.Length))
        {
            var parts = key.Split(':');
            var node = root;
            for (var i = 0; i < parts.Length - 1; i++)
            {
                if (node.TryGetValue(parts[i], out var child) && child is Dictionary<string, object?> next)
                {
                    node = next;
                }
                else
                {
                    next = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                    node[parts[i]] = next;
                    node = next;
                }
            }
            node[parts[^1]] = mask && IsSecret(key) && !string.IsNullOrEmpty(value) ? Mask : value;
        }
        return (JsonObject)ToNode(root, mask, topLevel: true)!;
    }

    /// <summary>The fields people look for first come first; the rest keep their order.</summary>
    private static readonly string[] Leading = ["Name", "Type", "Url", "Group", "IntervalSeconds"];

    private static JsonNode? ToNode(object? value, bool mask, bool topLevel = false)
    {
        if (value is Dictionary<string, object?> children)
        {
            var indexes = children.Keys.Select(k => int.TryParse(k, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1).ToList();
            if (!topLevel && indexes.All(n => n >= 0) && indexes.Order().SequenceEqual(Enumerable.Range(0, indexes.Count)))
            {
                return new JsonArray([.. children.OrderBy(c => int.Parse(c.Key, System.Globalization.CultureInfo.InvariantCulture)).Select(c => ToNode(c.Value, mask))]);
            }
            var obj = new JsonObject();
            foreach (var (key, child) in children)
            {
                obj[key] = ToNode(child, mask);
            }
            return obj;
        }
        var text = (string?)value;
        if (!mask && text is { Length: > 0 and < 10 } && text.All(char.IsAsciiDigit) && (text == "0" || text[0] != '0'))
        {
            return JsonValue.Create(int.Parse(text, System.Globalization.CultureInfo.InvariantCulture));
        }
        return text is null ? null : JsonValue.Create(text);
    }

    private static void Walk(JsonElement element, string prefix, Dictionary<string, string?> fields)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value, prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}", fields);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, $"{prefix}:{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}", fields);
                    i++;
                }
                break;
            case JsonValueKind.Null:
                // As in the config file: a null is as good as leaving the field out.
                break;
            case JsonValueKind.String:
                fields[prefix] = element.GetString();
                break;
            case JsonValueKind.True or JsonValueKind.False:
                fields[prefix] = element.ValueKind == JsonValueKind.True ? "true" : "false";
                break;
            default:
                fields[prefix] = element.GetRawText();
                break;
        }
    }
}
