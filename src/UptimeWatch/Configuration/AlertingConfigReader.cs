namespace UptimeWatch.Configuration;

/// <summary>Reads and validates <c>UptimeWatch:Alerting</c> by hand, every error naming the key and the value.</summary>
internal static class AlertingConfigReader
{
    private static readonly string[] Keys = ["PublicUrl", "Channels", "Defaults", "Delivery"];
    private static readonly string[] DeliveryKeys = ["FirstRetrySeconds", "MaxRetrySeconds", "GiveUpAfterHours", "AttemptTimeoutSeconds"];

    /// <summary>The rule fields, the same under <c>Alerting:Defaults</c> and a monitor's <c>Alerts</c>.</summary>
    public static readonly string[] RuleKeys = ["Channels", "OnDown", "OnRecovery", "OnDegraded", "OnCertificateExpiry", "OnFlapping", "RemindEveryMinutes"];

    public static AlertingOptions Read(IConfigurationSection section, List<string> errors)
    {
        var options = new AlertingOptions();
        Unknown(section, "Alerting", Keys, errors);

        if (section["PublicUrl"] is { Length: > 0 } url)
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            {
                options.PublicUrl = uri;
            }
            else
            {
                errors.Add($"Alerting:PublicUrl \"{url}\" must be an absolute http(s) URL, e.g. https://status.example.com");
            }
        }

        options.Channels = ChannelConfigReader.Read(section.GetSection("Channels"), errors);

        var defaults = section.GetSection("Defaults");
        Unknown(defaults, "Alerting:Defaults", RuleKeys, errors);
        var fields = defaults.AsEnumerable(makePathsRelative: true).Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        var ruleErrors = new List<FieldError>();
        options.Defaults = ReadRules(new FieldReader(fields, ruleErrors), "", new AlertRulesSettings());
        errors.AddRange(ruleErrors.Select(e => $"Alerting:Defaults:{e}"));

        var delivery = section.GetSection("Delivery");
        Unknown(delivery, "Alerting:Delivery", DeliveryKeys, errors);
        options.Delivery.FirstRetrySeconds = Int(delivery, "FirstRetrySeconds", options.Delivery.FirstRetrySeconds, 1, 3600, errors);
        options.Delivery.MaxRetrySeconds = Int(delivery, "MaxRetrySeconds", options.Delivery.MaxRetrySeconds, 1, 86_400, errors);
        options.Delivery.GiveUpAfterHours = Int(delivery, "GiveUpAfterHours", options.Delivery.GiveUpAfterHours, 1, 24 * 30, errors);
        options.Delivery.AttemptTimeoutSeconds = Int(delivery, "AttemptTimeoutSeconds", options.Delivery.AttemptTimeoutSeconds, 1, 300, errors);
        if (options.Delivery.MaxRetrySeconds < options.Delivery.FirstRetrySeconds)
        {
            errors.Add($"Alerting:Delivery:MaxRetrySeconds ({options.Delivery.MaxRetrySeconds}) must not be below FirstRetrySeconds ({options.Delivery.FirstRetrySeconds})");
        }

        foreach (var name in options.Defaults.Channels ?? [])
        {
            if (!options.Channels.Any(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add($"Alerting:Defaults:Channels names \"{name}\", which is not a channel under Alerting:Channels");
            }
        }
        return options;
    }

    /// <summary>
    /// Rule fields under <paramref name="prefix"/> (<c>""</c> for the defaults, <c>"Alerts:"</c> in a monitor), each
    /// falling back to <paramref name="fallback"/>. Channels may be a list or one comma-separated string.
    /// </summary>
    public static AlertRulesSettings ReadRules(FieldReader f, string prefix, AlertRulesSettings fallback)
    {
        IReadOnlyList<string>? channels = fallback.Channels;
        var listed = f.Indexes(prefix + "Channels");
        if (listed.Count > 0)
        {
            channels = [.. listed.Select(i => f.Text($"{prefix}Channels:{i}")?.Trim()).OfType<string>().Where(c => c.Length > 0)];
        }
        else if (f.Text(prefix + "Channels") is { } text)
        {
            channels = [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
        }
        return new AlertRulesSettings
        {
            Channels = channels,
            OnDown = f.Bool(prefix + "OnDown", fallback.OnDown),
            OnRecovery = f.Bool(prefix + "OnRecovery", fallback.OnRecovery),
            OnDegraded = f.Bool(prefix + "OnDegraded", fallback.OnDegraded),
            OnCertificateExpiry = f.Bool(prefix + "OnCertificateExpiry", fallback.OnCertificateExpiry),
            OnFlapping = f.Bool(prefix + "OnFlapping", fallback.OnFlapping),
            RemindEveryMinutes = f.Int(prefix + "RemindEveryMinutes", fallback.RemindEveryMinutes, 0, 10_080,
                "must be a whole number of minutes from 0 (never) to 10080 (a week)") ?? fallback.RemindEveryMinutes,
        };
    }

    private static void Unknown(IConfigurationSection section, string path, string[] known, List<string> errors)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                var hint = ClosestName.Find(child.Key, known);
                errors.Add($"{path}:{child.Key} is not a known setting" + (hint is null ? "" : $" (did you mean {path}:{hint}?)"));
            }
        }
    }

    private static int Int(IConfigurationSection section, string key, int fallback, int min, int max, List<string> errors) =>
        UptimeWatchConfigReader.Int(section, "Alerting:Delivery", key, fallback, min, max, errors);
}
