using Microsoft.Extensions.Primitives;

namespace UptimeWatch.Configuration;

/// <summary>
/// A configuration section that remembers which keys were read from it, so that every key nothing read (a typo, a
/// setting from another product or a later version) can be refused with the closest known name. The known keys are
/// exactly the ones the reader asks for: a new setting read through this section is known without a second list.
/// </summary>
internal sealed class TrackedSection(IConfigurationSection inner, string name) : IConfigurationSection
{
    private readonly HashSet<string> _read = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The path used in messages (<c>Storage</c>, <c>Live</c>).</summary>
    public string Name => name;

    public string? this[string key]
    {
        get
        {
            _read.Add(FirstSegment(key));
            return inner[key];
        }
        set => inner[key] = value;
    }

    public string Key => inner.Key;

    public string Path => inner.Path;

    public string? Value
    {
        get => inner.Value;
        set => inner.Value = value;
    }

    public IConfigurationSection GetSection(string key)
    {
        _read.Add(FirstSegment(key));
        return inner.GetSection(key);
    }

    public IEnumerable<IConfigurationSection> GetChildren() => inner.GetChildren();

    public IChangeToken GetReloadToken() => inner.GetReloadToken();

    /// <summary>One error per key present in the section that no rule read. Call after every read of the section.</summary>
    public void ReportUnknownKeys(List<string> errors)
    {
        foreach (var child in inner.GetChildren())
        {
            if (!_read.Contains(child.Key))
            {
                var hint = ClosestName.Find(child.Key, _read.Order(StringComparer.OrdinalIgnoreCase));
                errors.Add($"{name}:{child.Key} is not a known setting" + (hint is null ? "" : $" (did you mean {name}:{hint}?)"));
            }
        }
    }

    private static string FirstSegment(string key) => key.Split(':', 2)[0];
}
