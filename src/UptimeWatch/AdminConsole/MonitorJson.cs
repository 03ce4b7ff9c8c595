using System.Text.Json;
using System.Text.Json.Nodes;
using UptimeWatch.Configuration;

namespace UptimeWatch.AdminConsole;

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
