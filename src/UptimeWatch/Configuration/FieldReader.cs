using System.Globalization;
using System.Numerics;

namespace UptimeWatch.Configuration;

/// <summary>
/// Reads raw field text (flattened with ':' for nested values) and records what was read, so whatever no rule
/// asked for can be reported as an unknown field. Every problem becomes a <see cref="FieldError"/>.
/// </summary>
internal sealed class FieldReader(IReadOnlyDictionary<string, string?> fields, List<FieldError> errors)
{
    // In key order, whatever order they came in (a file, a stored row, an API call): the same fields give the same
    // definition, headers in the same order included, so a definition read from the file is the one its stored row gives.
    private readonly Dictionary<string, string?> _fields = new(fields.OrderBy(f => f.Key, StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _read = new(StringComparer.OrdinalIgnoreCase);

    public List<FieldError> Errors => errors;

    public bool Has(string key) => _fields.ContainsKey(key) || _fields.Keys.Any(k => k.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase));

    public string? Text(string key)
    {
        _read.Add(key);
        return _fields.TryGetValue(key, out var value) ? value : null;
    }

    public void Error(string field, string? value, string message) => errors.Add(new FieldError(field, value, message));

    public int? Int(string key, int fallback, int min, int max, string message) => OptionalInt(key, min, max, message) ?? (Has(key) ? null : fallback);

    public int? OptionalInt(string key, int min, int max, string message) =>
        OptionalNumber(key, min, max, NumberStyles.AllowLeadingSign, message);

    public double? OptionalDouble(string key, double min, double max, string message) =>
        OptionalNumber(key, min, max, NumberStyles.Float, message);

    /// <summary>The value, or null when absent or invalid (an error is recorded for invalid).</summary>
    private T? OptionalNumber<T>(string key, T min, T max, NumberStyles styles, string message) where T : struct, INumber<T>
    {
        var text = Text(key);
        if (text is null)
        {
            return null;
        }
        if (T.TryParse(text.Trim(), styles, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }
        Error(key, text, message);
        return null;
    }

    public bool Bool(string key, bool fallback)
    {
        var text = Text(key);
        if (text is null)
        {
            return fallback;
        }
        if (bool.TryParse(text.Trim(), out var value))
        {
            return value;
        }
        Error(key, text, "must be true or false");
        return fallback;
    }

    /// <summary>The <c>prefix:name</c> entries as a map of name to value (e.g. request headers).</summary>
    public IReadOnlyDictionary<string, string> Map(string prefix)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in _fields)
        {
            if (key.StartsWith(prefix + ":", StringComparison.OrdinalIgnoreCase))
            {
                _read.Add(key);
                var name = key[(prefix.Length + 1)..];
                if (name.Contains(':', StringComparison.Ordinal))
                {
                    Error(key, null, "must be a single value, not an object or a list");
                    continue;
                }
                map[name] = value ?? "";
            }
        }
        return map;
    }

    /// <summary>The indexes of a list: <c>Maintenance:0:Start</c>, <c>Maintenance:1:Cron</c> → 0, 1.</summary>
    public IReadOnlyList<string> Indexes(string prefix) =>
        _fields.Keys
            .Where(k => k.StartsWith(prefix + ":", StringComparison.OrdinalIgnoreCase))
            .Select(k => k[(prefix.Length + 1)..].Split(':')[0])
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderBy(i => int.TryParse(i, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue)
            .ToList();

    /// <summary>Fields present but never read by any rule.</summary>
    public IEnumerable<string> Unread() => _fields.Keys.Where(k => !_read.Contains(k));
}
