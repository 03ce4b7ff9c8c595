namespace UptimeWatch.Configuration;

/// <summary>
/// Every value under one path of the configuration, merged across its sources the way the configuration merges them
/// (a later source wins a key), read from each source directly.
/// </summary>
/// <remarks>
/// The same values as walking the sections (<c>GetSection(path).AsEnumerable()</c>), without its cost: the walk asks
/// every source for the children of every section and takes the configuration manager's lock for every value, which
/// was about two seconds of a start-up with 10,000 monitors (docs/performance.md). Here each source is asked only about
/// the sections it has.
/// </remarks>
internal static class ConfigurationValues
{
    /// <summary>Each key under <paramref name="path"/> that has a value in some source, relative to it ("0:Headers:Accept").</summary>
    public static Dictionary<string, string?> Under(IConfiguration configuration, string path)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (configuration is not IConfigurationRoot root)
        {
            foreach (var (key, value) in configuration.GetSection(path).AsEnumerable(makePathsRelative: true))
            {
                if (value is not null)
                {
                    values[key] = value;
                }
            }
            return values;
        }
        foreach (var provider in root.Providers)
        {
            Walk(provider, path, path.Length + 1, values);
        }
        return values;
    }

    private static void Walk(IConfigurationProvider provider, string path, int prefixLength, Dictionary<string, string?> values)
    {
        // A source lists a name once per key below it, sorted: the same name comes in a run.
        string? previous = null;
        foreach (var child in provider.GetChildKeys([], path))
        {
            if (string.Equals(child, previous, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            previous = child;
            var key = path + ConfigurationPath.KeyDelimiter + child;
            if (provider.TryGet(key, out var value))
            {
                // Later sources come later: the same override as the configuration's own lookup. A null (a JSON null)
                // still overrides, as there.
                values[key[prefixLength..]] = value;
            }
            Walk(provider, key, prefixLength, values);
        }
    }
}
