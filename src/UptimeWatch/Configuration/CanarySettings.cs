using System.Globalization;
using System.Net;

namespace UptimeWatch.Configuration;

/// <summary>
/// <c>Probing:Canaries</c> and <c>Probing:CanaryIntervalSeconds</c>, read the same way by the server and by an agent
/// (each location has its own): a few targets outside the location's own network, any one of which answering proves
/// the location can reach the internet (docs/locations.md, "Is it me?"). Each is a monitor definition built by
/// <see cref="MonitorValidator"/>, so it is probed by the same probes, with the same deadline and source address.
/// </summary>
internal static class CanarySettings
{
    public const int DefaultIntervalSeconds = 30;

    /// <summary>Each canary's overall deadline: a canary is a quick "can we get out at all", never a slow page.</summary>
    public const int TimeoutSeconds = 5;

    public const int MaxCanaries = 10;

    /// <summary>The port of a canary written as a bare host: HTTPS, open nearly everywhere.</summary>
    public const int DefaultPort = 443;

    /// <summary>
    /// The canaries of <paramref name="probing"/> (a <c>Probing</c> section; <paramref name="prefix"/> is how messages name
    /// it, <c>Probing</c> or <c>UptimeWatch:Probing</c>); an error per bad entry, naming its key and value.
    /// </summary>
    public static (IReadOnlyList<MonitorDefinition> Canaries, int IntervalSeconds) Read(IConfigurationSection probing, string prefix, List<string> errors)
    {
        var intervalText = probing["CanaryIntervalSeconds"];
        var interval = DefaultIntervalSeconds;
        if (intervalText is not null
            && !(int.TryParse(intervalText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out interval) && interval is >= 1 and <= 3600))
        {
            errors.Add($"{prefix}:CanaryIntervalSeconds \"{intervalText}\" must be a whole number of seconds from 1 to 3600");
            interval = DefaultIntervalSeconds;
        }

        var section = probing.GetSection("Canaries");
        // An array in JSON (Canaries:0, Canaries:1…), or one comma-separated value (an environment variable).
        var entries = section.Value is { } single
            ? single.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(t => (Key: $"{prefix}:Canaries", Text: (string?)t))
            : section.GetChildren().Select(c => (Key: $"{prefix}:Canaries:{c.Key}", Text: c.Value));
        var canaries = new List<MonitorDefinition>();
        foreach (var (key, text) in entries)
        {
            if (Parse(text, canaries.Count + 1, interval) is { } canary)
            {
                canaries.Add(canary);
            }
            else
            {
                errors.Add(text is null
                    ? $"{key} must be a URL or a host name, for example \"https://example.com\", \"tcp://192.0.2.1:53\" or \"example.org\""
                    : $"{key} \"{text}\" must be an http(s):// URL, tcp://host:port, or a host name (checked on port {DefaultPort}), for example \"https://example.com\"");
            }
        }
        if (canaries.Count > MaxCanaries)
        {
            errors.Add($"{prefix}:Canaries has {canaries.Count} entries; at most {MaxCanaries}: two or three on different networks are enough");
        }
        return (canaries, interval);
    }

    /// <summary>One canary as a definition to probe, or null when <paramref name="text"/> is not a target.</summary>
    private static MonitorDefinition? Parse(string? text, int number, int intervalSeconds)
    {
        var target = text?.Trim();
        if (string.IsNullOrEmpty(target))
        {
            return null;
        }
        string url;
        if (target.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "tcp"))
            {
                return null;
            }
            url = target;
        }
        else
        {
            // A bare IPv6 address has colons of its own: it needs brackets to take a port.
            var host = IPAddress.TryParse(target, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? $"[{address}]"
                : target;
            if (!Uri.TryCreate($"tcp://{host}", UriKind.Absolute, out var uri) || uri.PathAndQuery != "/" || uri.UserInfo.Length > 0)
            {
                return null;
            }
            url = uri.IsDefaultPort ? $"tcp://{host}:{DefaultPort.ToString(CultureInfo.InvariantCulture)}" : $"tcp://{host}";
        }

        var fields = new Dictionary<string, string?>
        {
            ["Name"] = $"canary {number.ToString(CultureInfo.InvariantCulture)}",
            ["Url"] = url,
            ["IntervalSeconds"] = intervalSeconds.ToString(CultureInfo.InvariantCulture),
            ["TimeoutSeconds"] = Math.Min(TimeoutSeconds, intervalSeconds).ToString(CultureInfo.InvariantCulture),
        };
        if (url.StartsWith("http", StringComparison.Ordinal))
        {
            // Any answer at all proves the way out works: a 404 or a 503 from the far side is still an answer.
            fields["ExpectedStatus"] = "100-599";
            fields["MaxRedirects"] = "0";
        }
        return MonitorValidator.Validate(fields, []);
    }
}
