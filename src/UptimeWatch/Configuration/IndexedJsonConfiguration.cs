using Microsoft.Extensions.Configuration.Json;

namespace UptimeWatch.Configuration;

/// <summary>
/// A JSON config file whose keys are indexed by parent path, so that listing a section's children does not scan
/// every key of the file.
/// </summary>
/// <remarks>
/// <c>ConfigurationProvider.GetChildKeys</c> walks all keys for every section it is asked about. Reading N monitors
/// asks about each monitor (and each of its groups), so with about four keys per monitor the reader did ~4·N² key
/// comparisons: 10,000 monitors took about a minute of CPU at start-up and again on every reload
/// (docs/performance.md). The index gives the same children in the same order; it is rebuilt whenever the file is
/// (re)loaded or a key is set.
/// </remarks>
internal sealed class IndexedJsonConfigurationSource : JsonConfigurationSource
{
    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new IndexedJsonConfigurationProvider(this);
    }

    /// <summary>The same file, reload and error settings as <paramref name="source"/>, indexed.</summary>
    public static IndexedJsonConfigurationSource From(JsonConfigurationSource source) => new()
    {
        Path = source.Path ?? throw new ArgumentException("A JSON configuration source without a path", nameof(source)),
        Optional = source.Optional,
        ReloadOnChange = source.ReloadOnChange,
        ReloadDelay = source.ReloadDelay,
        FileProvider = source.FileProvider,
        OnLoadException = source.OnLoadException,
    };
}

internal sealed class IndexedJsonConfigurationProvider(JsonConfigurationSource source) : JsonConfigurationProvider(source)
{
    private sealed record Index(IDictionary<string, string?> Data, List<string> Top, Dictionary<string, List<string>> Children);

    private volatile Index? _index;

    public override void Set(string key, string? value)
    {
        base.Set(key, value);
        _index = null;
    }

    public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
    {
        var index = _index;
        // Loading replaces Data with a new dictionary, so a stale index is recognised by reference.
        if (index is null || !ReferenceEquals(index.Data, Data))
        {
            index = Build(Data);
            _index = index;
        }
        var own = parentPath is null ? index.Top : index.Children.GetValueOrDefault(parentPath) ?? [];
        var results = new List<string>(earlierKeys);
        if (results.Count == 0)
        {
            // The usual case (no earlier source has keys here): the children as stored, already in order. Sorting
            // 10,000 monitors' keys again on every listing of UptimeWatch or Monitors was a second of start-up.
            results.AddRange(own);
            return results;
        }
        results.AddRange(own);
        results.Sort(ConfigurationKeyComparer.Instance);
        return results;
    }

    /// <summary>
    /// For every key "a:b:c": "a" is a child of the root, "b" of "a", "c" of "a:b". Each list holds a name once and is
    /// sorted as the configuration root sorts children (numbers as numbers), so a listing needs no sort.
    /// </summary>
    private static Index Build(IDictionary<string, string?> data)
    {
        var top = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var children = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in data.Keys)
        {
            var colon = key.IndexOf(ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
            top.Add(colon < 0 ? key : key[..colon]);
            while (colon >= 0)
            {
                var next = key.IndexOf(ConfigurationPath.KeyDelimiter, colon + 1, StringComparison.Ordinal);
                var parent = key[..colon];
                if (!children.TryGetValue(parent, out var set))
                {
                    children[parent] = set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                }
                set.Add(next < 0 ? key[(colon + 1)..] : key[(colon + 1)..next]);
                colon = next;
            }
        }
        return new Index(data, Sorted(top), children.ToDictionary(c => c.Key, c => Sorted(c.Value), StringComparer.OrdinalIgnoreCase));
    }

    private static List<string> Sorted(HashSet<string> names)
    {
        var list = new List<string>(names);
        list.Sort(ConfigurationKeyComparer.Instance);
        return list;
    }
}
