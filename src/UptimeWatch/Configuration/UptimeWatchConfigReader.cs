using System.Globalization;

namespace UptimeWatch.Configuration;

/// <summary>
/// Reads and validates the <c>UptimeWatch</c> section by hand rather than with the configuration binder:
/// the binder stops at the first bad value with a message about CLR types, where users need every problem
/// at once, each naming the monitor, the field and the value.
/// </summary>
internal static class UptimeWatchConfigReader
{
    private static readonly string[] SectionKeys = ["DataDirectory", "Location", "Storage", "Scheduler", "Probing", "Live", "StatusPage", "Retention", "Admin", "Alerting", "Metrics", "ForwardedHeaders", "Monitors",
        // Read by `UptimeWatch agent` (Agents/AgentSettings), not by the server: one file may serve both.
        "Agent"];

    /// <summary>
    /// Reads and validates every setting. <paramref name="monitors"/> false leaves <c>Monitors</c> out (no definitions,
    /// no errors about them), for a caller that needs only the other settings before the options are built: reading
    /// 10,000 monitors takes seconds of a start-up (docs/performance.md).
    /// </summary>
    public static UptimeWatchOptions Read(IConfiguration configuration, bool monitors = true)
    {
        var section = configuration.GetSection(UptimeWatchOptions.Section);
        var errors = new List<string>();
        var options = new UptimeWatchOptions();

        foreach (var child in section.GetChildren())
        {
            if (!SectionKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                var hint = ClosestName.Find(child.Key, SectionKeys);
                errors.Add($"{UptimeWatchOptions.Section}:{child.Key} is not a known setting" +
                           (hint is null ? "" : $" (did you mean {UptimeWatchOptions.Section}:{hint}?)"));
            }
            else if (!child.Key.Equals("DataDirectory", StringComparison.OrdinalIgnoreCase) && !child.Key.Equals("Location", StringComparison.OrdinalIgnoreCase)
                     && !string.IsNullOrEmpty(child.Value)
                     && !child.GetChildren().Any())
            {
                // "Storage": "..." instead of "Storage": { ... }. The value is not repeated: it may be a connection string.
                errors.Add($"{UptimeWatchOptions.Section}:{child.Key} must be a group of settings ({{ \"Key\": value }}), not a single value");
            }
        }

        var dataDirectory = section["DataDirectory"];
        if (dataDirectory is not null)
        {
            if (string.IsNullOrWhiteSpace(dataDirectory))
            {
                errors.Add("DataDirectory is empty: remove it to use the default \"data\", or name a folder");
            }
            else
            {
                options.DataDirectory = dataDirectory;
            }
        }

        if (section["Location"] is { } location)
        {
            if (LocationName.Normalize(location) is { } name)
            {
                options.Location = name;
            }
            else
            {
                errors.Add($"Location \"{location}\" must be {LocationName.Rule}");
            }
        }

        // These sections are read through TrackedSection: whatever key no line below reads is refused at the end.
        var storage = new TrackedSection(section.GetSection("Storage"), "Storage");
        StorageSettingsReader.Read(storage, options.Storage, errors);
        options.Storage.WriteQueueCapacity = Int(storage, "Storage", "WriteQueueCapacity", options.Storage.WriteQueueCapacity, 100, 10_000_000, errors);
        options.Storage.WriteBatchSize = Int(storage, "Storage", "WriteBatchSize", options.Storage.WriteBatchSize, 1, 100_000, errors);
        options.Storage.WriteWindowMilliseconds = Int(storage, "Storage", "WriteWindowMilliseconds", options.Storage.WriteWindowMilliseconds, 0, 1_000, errors);
        options.Storage.UnhealthyAfterSeconds = Int(storage, "Storage", "UnhealthyAfterSeconds", options.Storage.UnhealthyAfterSeconds, 1, 3_600, errors);

        var scheduler = new TrackedSection(section.GetSection("Scheduler"), "Scheduler");
        options.Scheduler.MaxConcurrency = Int(scheduler, "Scheduler", "MaxConcurrency", options.Scheduler.MaxConcurrency, 1, 100_000, errors);
        options.Scheduler.ShutdownTimeoutSeconds = Int(scheduler, "Scheduler", "ShutdownTimeoutSeconds", options.Scheduler.ShutdownTimeoutSeconds, 1, 3_600, errors);
        options.Scheduler.ClusterCheckinSeconds = Int(scheduler, "Scheduler", "ClusterCheckinSeconds", options.Scheduler.ClusterCheckinSeconds, 1, 300, errors);
        if (scheduler["NodeId"] is { } nodeId)
        {
            var trimmed = nodeId.Trim();
            if (trimmed.Length is 0 or > SchedulerOptions.NodeIdMaxLength || !trimmed.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                errors.Add($"Scheduler:NodeId \"{nodeId}\" must be 1 to {SchedulerOptions.NodeIdMaxLength} letters, digits, '-' or '_'");
            }
            else
            {
                options.Scheduler.NodeId = trimmed;
            }
        }

        var probing = new TrackedSection(section.GetSection("Probing"), "Probing");
        var caFile = probing["CaCertificatesFile"];
        if (!string.IsNullOrEmpty(caFile))
        {
            try
            {
                CaCertificates.Load(caFile);
                options.Probing.CaCertificatesFile = caFile;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                errors.Add($"Probing:CaCertificatesFile \"{caFile}\" cannot be read as PEM certificates: {ex.Message}");
            }
        }

        if (probing["SourceAddress"] is { Length: > 0 } source)
        {
            if (SourceAddressSetting.Problem(source.Trim(), out var address) is { } problem)
            {
                errors.Add(problem);
            }
            options.Probing.SourceAddress = address;
        }
        (options.Probing.Canaries, options.Probing.CanaryIntervalSeconds) = CanarySettings.Read(probing, "Probing", errors);

        var live = new TrackedSection(section.GetSection("Live"), "Live");
        options.Live.HeartbeatSeconds = Int(live, "Live", "HeartbeatSeconds", options.Live.HeartbeatSeconds, 1, 300, errors);
        options.Live.RetryMs = Int(live, "Live", "RetryMs", options.Live.RetryMs, 100, 600_000, errors);
        options.Live.MaxStreams = Int(live, "Live", "MaxStreams", options.Live.MaxStreams, 1, 1_000_000, errors);
        options.Live.MaxStreamsPerIp = Int(live, "Live", "MaxStreamsPerIp", options.Live.MaxStreamsPerIp, 1, 1_000_000, errors);
        options.Live.ClientQueueSize = Int(live, "Live", "ClientQueueSize", options.Live.ClientQueueSize, 8, 100_000, errors);
        options.Live.MaxPollTimeoutSeconds = Int(live, "Live", "MaxPollTimeoutSeconds", options.Live.MaxPollTimeoutSeconds, 1, 600, errors);
        options.Live.CheckFrameMs = Int(live, "Live", "CheckFrameMs", options.Live.CheckFrameMs, 100, 60_000, errors);
        options.Live.MaxReplayEvents = Int(live, "Live", "MaxReplayEvents", options.Live.MaxReplayEvents, 1, 100_000, errors);

        var page = new TrackedSection(section.GetSection("StatusPage"), "StatusPage");
        options.StatusPage.Title = page["Title"] is { Length: > 0 } title ? title : options.StatusPage.Title;
        options.StatusPage.Description = page["Description"] is { Length: > 0 } description ? description : null;
        options.StatusPage.Footer = page["Footer"] is { Length: > 0 } footer ? footer : null;
        if (page["LogoUrl"] is { Length: > 0 } logo)
        {
            // A path first: on Linux "/logo.png" also parses as an absolute file:// URI.
            if ((logo.StartsWith('/') && !logo.StartsWith("//", StringComparison.Ordinal))
                || (Uri.TryCreate(logo, UriKind.Absolute, out var logoUri) && logoUri.Scheme is "http" or "https"))
            {
                options.StatusPage.LogoUrl = logo;
            }
            else
            {
                errors.Add($"StatusPage:LogoUrl \"{logo}\" must be an http(s) URL or a path starting with /");
            }
        }
        if (page["ShowErrorDetails"] is { } showErrorDetails)
        {
            if (bool.TryParse(showErrorDetails.Trim(), out var show))
            {
                options.StatusPage.ShowErrorDetails = show;
            }
            else
            {
                errors.Add($"StatusPage:ShowErrorDetails \"{showErrorDetails}\" must be true or false");
            }
        }

        var retention = new TrackedSection(section.GetSection("Retention"), "Retention");
        options.Retention.RawDays = Int(retention, "Retention", "RawDays", options.Retention.RawDays, 1, 3650, errors);
        options.Retention.RollupDays = Int(retention, "Retention", "RollupDays", options.Retention.RollupDays, 2, 36_500, errors);

        options.Admin = ReadAdmin(section.GetSection("Admin"), errors);
        options.Metrics = ReadMetrics(section.GetSection("Metrics"), errors);
        options.ForwardedHeaders = ReadForwardedHeaders(section.GetSection("ForwardedHeaders"), errors);
        options.Alerting = AlertingConfigReader.Read(section.GetSection("Alerting"), errors);
        options.Monitors = monitors ? ReadMonitors(configuration, errors) : [];
        foreach (var monitor in options.Monitors)
        {
            foreach (var problem in AlertPolicy.UnknownChannels(monitor, options.Alerting))
            {
                errors.Add($"Monitors \"{monitor.Name}\": {problem}");
            }
        }
        foreach (var tracked in new[] { storage, scheduler, probing, live, page, retention })
        {
            tracked.ReportUnknownKeys(errors);
        }
        options.Errors = errors;
        return options;
    }

    private static readonly string[] MetricsKeys = ["Enabled", "BearerToken"];

    internal static MetricsOptions ReadMetrics(IConfigurationSection metrics, List<string> errors)
    {
        var options = new MetricsOptions();
        UnknownKeys(metrics, "Metrics", MetricsKeys, errors);
        if (metrics["Enabled"] is { } enabled)
        {
            if (bool.TryParse(enabled.Trim(), out var value))
            {
                options.Enabled = value;
            }
            else
            {
                errors.Add($"Metrics:Enabled \"{enabled}\" must be true or false");
            }
        }
        if (metrics["BearerToken"] is { Length: > 0 } token)
        {
            // A secret: the message gives its length, never the value.
            if (token.Length < MetricsOptions.MinBearerTokenLength || token.Any(char.IsWhiteSpace))
            {
                errors.Add($"Metrics:BearerToken (\"***\", {token.Length} characters) must be at least {MetricsOptions.MinBearerTokenLength} characters long with no spaces");
            }
            else
            {
                options.BearerToken = token;
            }
        }
        return options;
    }

    private static readonly string[] ForwardedHeadersKeys = ["TrustedProxies"];

    private static ForwardedHeadersSettings ReadForwardedHeaders(IConfigurationSection forwarded, List<string> errors)
    {
        var options = new ForwardedHeadersSettings();
        UnknownKeys(forwarded, "ForwardedHeaders", ForwardedHeadersKeys, errors);
        var proxies = forwarded.GetSection("TrustedProxies");
        // An empty JSON array leaves a key with no value: present, so it trusts none, unlike a missing key.
        if (!forwarded.GetChildren().Any(c => string.Equals(c.Key, "TrustedProxies", StringComparison.OrdinalIgnoreCase)))
        {
            return options;
        }
        // An empty list trusts no proxy. A single string is accepted as a comma-separated list: easier to set from an environment variable.
        var values = proxies.Value is { } single
            ? single.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(v => ("ForwardedHeaders:TrustedProxies", (string?)v)).ToList()
            : proxies.GetChildren().Select(c => ($"ForwardedHeaders:TrustedProxies:{c.Key}", c.Value)).ToList();
        var networks = new List<System.Net.IPNetwork>();
        foreach (var (key, value) in values)
        {
            var text = value?.Trim() ?? "";
            if (System.Net.IPNetwork.TryParse(text, out var network))
            {
                networks.Add(network);
            }
            else if (System.Net.IPAddress.TryParse(text, out var address))
            {
                networks.Add(new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                errors.Add($"{key} \"{value}\" must be an IP address (10.0.0.2) or a network (10.0.0.0/8, fd00::/8)");
            }
        }
        options.TrustedProxies = networks;
        return options;
    }

    private static void UnknownKeys(IConfigurationSection section, string name, string[] known, List<string> errors)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                var hint = ClosestName.Find(child.Key, known);
                errors.Add($"{name}:{child.Key} is not a known setting" + (hint is null ? "" : $" (did you mean {name}:{hint}?)"));
            }
        }
    }

    private static readonly string[] AdminKeys = ["InitialPassword", "AllowedOrigins", "MaxMessageBytes", "KeepAliveSeconds"];

    private static AdminOptions ReadAdmin(IConfigurationSection admin, List<string> errors)
    {
        var options = new AdminOptions();
        UnknownKeys(admin, "Admin", AdminKeys, errors);

        if (admin["InitialPassword"] is { } password)
        {
            // The value is a secret: the message gives its length, never the value itself.
            if (password.Length < AdminOptions.MinPasswordLength)
            {
                errors.Add($"Admin:InitialPassword (\"***\", {password.Length} characters) must be at least {AdminOptions.MinPasswordLength} characters long, or removed to choose the password on first sign-in");
            }
            else
            {
                options.InitialPassword = password;
            }
        }

        var origins = new List<string>();
        var originsSection = admin.GetSection("AllowedOrigins");
        // A single string is accepted as a one-item list: easier to set from an environment variable.
        var values = originsSection.Value is { Length: > 0 } single
            ? [(originsSection.Path, single)]
            : originsSection.GetChildren().Select(c => (Key: $"Admin:AllowedOrigins:{c.Key}", c.Value)).ToList();
        foreach (var (key, value) in values)
        {
            var label = key.StartsWith("Admin:", StringComparison.Ordinal) ? key : "Admin:AllowedOrigins";
            if (Origin(value) is { } origin)
            {
                origins.Add(origin);
            }
            else
            {
                errors.Add($"{label} \"{value}\" must be an origin like https://status.example.com (scheme, host and optional port; no path)");
            }
        }
        options.AllowedOrigins = origins;
        options.MaxMessageBytes = Int(admin, "Admin", "MaxMessageBytes", AdminOptions.DefaultMaxMessageBytes,
            AdminOptions.MinMaxMessageBytes, AdminOptions.MaxMaxMessageBytes, errors);
        options.KeepAliveSeconds = Int(admin, "Admin", "KeepAliveSeconds", AdminOptions.DefaultKeepAliveSeconds,
            AdminOptions.MinKeepAliveSeconds, AdminOptions.MaxKeepAliveSeconds, errors);
        return options;
    }

    /// <summary>The browser's form of an origin (lower case, default port left out), or null when it is not one.</summary>
    private static string? Origin(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || !Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/"
            || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            return null;
        }
        return uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
    }

    private static List<MonitorDefinition> ReadMonitors(IConfiguration configuration, List<string> errors)
    {
        var result = new List<MonitorDefinition>();
        var bySlug = new Dictionary<string, (string Label, string Name)>(StringComparer.Ordinal);
        var byPushToken = new Dictionary<string, string>(StringComparer.Ordinal);

        foreach (var (index, fields) in MonitorFields(configuration))
        {
            var fieldErrors = new List<FieldError>();

            var name = fields.GetValueOrDefault("Name")?.Trim();
            var label = string.IsNullOrEmpty(name) ? $"Monitors[{index}]" : $"Monitors[{index}] \"{name}\"";
            var definition = MonitorValidator.Validate(fields, fieldErrors);
            errors.AddRange(fieldErrors.Select(e => $"{label}: {e}"));
            if (definition is null)
            {
                continue;
            }

            if (bySlug.TryGetValue(definition.Slug, out var first))
            {
                errors.Add(string.Equals(first.Name, definition.Name, StringComparison.OrdinalIgnoreCase)
                    ? $"{label}: Name \"{definition.Name}\" is already used by {first.Label}"
                    : $"{label}: Name \"{definition.Name}\" gives the slug \"{definition.Slug}\", already used by {first.Label} \"{first.Name}\"");
                continue;
            }
            if (definition.Push?.Token is { } token)
            {
                if (byPushToken.TryGetValue(token, out var owner))
                {
                    errors.Add($"{label}: PushToken \"***\" is already used by {owner}: each push monitor needs its own");
                    continue;
                }
                byPushToken[token] = $"Monitors[{index}] \"{definition.Name}\"";
            }
            bySlug[definition.Slug] = ($"Monitors[{index}]", definition.Name);
            result.Add(definition);
        }

        return result;
    }

    private static readonly string[] GroupFields = ["Headers", "RequiredHeaders", "BasicAuth", "Flapping", "Maintenance"];

    /// <summary>
    /// Each monitor's index in the list and every value under it, keyed by its path inside the monitor
    /// ("Headers:Accept"), in file order: indexes sort as numbers, as the configuration sorts them.
    /// </summary>
    private static IEnumerable<(string Index, Dictionary<string, string?> Fields)> MonitorFields(IConfiguration configuration)
    {
        var monitors = new Dictionary<string, Dictionary<string, string?>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (path, value) in ConfigurationValues.Under(configuration, $"{UptimeWatchOptions.Section}:Monitors"))
        {
            var colon = path.IndexOf(ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
            var index = colon < 0 ? path : path[..colon];
            if (!monitors.TryGetValue(index, out var fields))
            {
                // A monitor given as a single value ("Monitors": ["x"]) or as {} has no fields: validated as empty.
                monitors[index] = fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            }
            if (colon < 0)
            {
                continue;
            }
            var key = path[(colon + 1)..];
            // An empty {} or [] arrives as "" and means "none".
            if (value is null || (value.Length == 0 && GroupFields.Contains(key, StringComparer.OrdinalIgnoreCase)))
            {
                continue;
            }
            fields[key] = value;
        }
        return monitors.OrderBy(m => m.Key, ConfigurationKeyComparer.Instance).Select(m => (m.Key, m.Value));
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>; the fallback when absent or invalid (then with an error).</summary>
    internal static int Int(IConfigurationSection section, string sectionName, string key, int fallback, int min, int max, List<string> errors)
    {
        var text = section[key];
        if (text is null)
        {
            return fallback;
        }
        if (int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }
        errors.Add($"{sectionName}:{key} \"{text}\" must be a whole number from {min} to {max}");
        return fallback;
    }
}
