using UptimeWatch.Configuration;

namespace UptimeWatch.Testing;

/// <summary>Builds monitor definitions the way the config file does: raw fields through the one validator.</summary>
internal static class TestMonitors
{
    public static MonitorDefinition Define(params (string Field, string? Value)[] fields)
    {
        var map = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["Name"] = "m", ["IntervalSeconds"] = "60" };
        foreach (var (field, value) in fields)
        {
            if (value is null)
            {
                map.Remove(field);
            }
            else
            {
                map[field] = value;
            }
        }
        var errors = new List<FieldError>();
        return MonitorValidator.Validate(map, errors)
            ?? throw new ArgumentException("Invalid test monitor: " + string.Join("; ", errors));
    }
}
