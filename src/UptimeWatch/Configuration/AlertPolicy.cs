namespace UptimeWatch.Configuration;

/// <summary>A monitor's alert rules: its own <c>Alerts</c> fields over <c>Alerting:Defaults</c>, channels resolved.</summary>
internal static class AlertPolicy
{
    public static AlertRulesSettings Resolve(MonitorDefinition definition, AlertingOptions options)
    {
        var rules = HasOwnRules(definition)
            ? AlertingConfigReader.ReadRules(new FieldReader(definition.Fields, []), "Alerts:", options.Defaults)
            : options.Defaults;
        // No list anywhere: every configured channel.
        return rules.Channels is null ? rules with { Channels = [.. options.Channels.Select(c => c.Name)] } : rules;
    }

    /// <summary>A problem per channel a monitor names that is not configured.</summary>
    public static IEnumerable<string> UnknownChannels(MonitorDefinition definition, AlertingOptions options) =>
        !HasOwnRules(definition) ? [] : (AlertingConfigReader.ReadRules(new FieldReader(definition.Fields, []), "Alerts:", new AlertRulesSettings()).Channels ?? [])
            .Where(name => !options.Channels.Any(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
            .Select(name => $"Alerts:Channels names \"{name}\", which is not a channel under Alerting:Channels"
                + (options.Channels.Count == 0 ? " (none are configured)" : $" ({string.Join(", ", options.Channels.Select(c => c.Name))})"));

    /// <summary>
    /// Whether the monitor has <c>Alerts</c> fields of its own. Most have none, and reading the rules per monitor was a
    /// fifth of reading 10,000 monitors (docs/performance.md).
    /// </summary>
    private static bool HasOwnRules(MonitorDefinition definition)
    {
        foreach (var key in definition.Fields.Keys)
        {
            if (key.StartsWith("Alerts", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
