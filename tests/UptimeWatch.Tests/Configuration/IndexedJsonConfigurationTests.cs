using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using UptimeWatch.Configuration;

namespace UptimeWatch.Tests.Configuration;

[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class IndexedJsonConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("uw-indexed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Json = """
        {
          "Urls": "http://localhost:5080",
          "UptimeWatch": {
            "DataDirectory": "data",
            "Monitors": [
              { "Name": "A", "Url": "https://a.example/", "Headers": { "Accept": "text/html", "X-Key": "k" } },
              { "name": "B", "url": "tcp://b.example:22", "Maintenance": [ { "Cron": "0 3 * * *", "DurationMinutes": 30 } ] },
              { "Name": "C", "Url": "https://c.example/", "Headers": {} }
            ],
            "monitors2": [ "x", "y" ],
            "Live": { "MaxStreams": 5 }
          }
        }
        """;

    private IConfigurationRoot Build(JsonConfigurationSource source, string file)
    {
        source.Path = file;
        source.ResolveFileProvider();
        return new ConfigurationBuilder().Add(source).Build();
    }

    private static List<string> Walk(IConfiguration configuration) =>
        configuration.AsEnumerable().Select(kv => $"{kv.Key}={kv.Value}").ToList();

    [Fact]
    public void Every_section_has_the_same_children_in_the_same_order_as_with_the_plain_json_provider()
    {
        var file = Path.Combine(_dir, "config.json");
        File.WriteAllText(file, Json);

        var plain = Build(new JsonConfigurationSource(), file);
        var indexed = Build(new IndexedJsonConfigurationSource(), file);

        Assert.Equal(Walk(plain), Walk(indexed));
        foreach (var path in new[] { "UptimeWatch", "uptimewatch:monitors", "UptimeWatch:Monitors:0:Headers", "UptimeWatch:Monitors:1:maintenance:0", "Nope" })
        {
            Assert.Equal(plain.GetSection(path).GetChildren().Select(c => c.Path), indexed.GetSection(path).GetChildren().Select(c => c.Path));
        }
        Assert.Equal(UptimeWatchConfigReader.Read(plain).Monitors.Select(m => m.Slug), UptimeWatchConfigReader.Read(indexed).Monitors.Select(m => m.Slug));
    }

    [Fact]
    public void Monitors_from_several_sources_are_merged_as_the_configuration_merges_them()
    {
        // The file, then what environment variables or arguments add (a memory source here): a later source wins a
        // field, adds fields and whole monitors, and the list stays in number order (10 after 2, not after 1).
        var file = Path.Combine(_dir, "config.json");
        File.WriteAllText(file, Json);
        var source = new IndexedJsonConfigurationSource { Path = file };
        source.ResolveFileProvider();
        var configuration = new ConfigurationBuilder().Add(source).AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UPTIMEWATCH:MONITORS:0:URL"] = "https://a2.example/",
            ["UptimeWatch:Monitors:1:Maintenance:0:DurationMinutes"] = "45",
            ["UptimeWatch:Monitors:2:Headers:X-Added"] = "yes",
            ["UptimeWatch:Monitors:10:Name"] = "Ten",
            ["UptimeWatch:Monitors:10:Url"] = "https://ten.example/",
        }).Build();

        var options = UptimeWatchConfigReader.Read(configuration);

        Assert.DoesNotContain(options.Errors, e => e.StartsWith("Monitors", StringComparison.Ordinal));
        Assert.Equal(["A", "B", "C", "Ten"], options.Monitors.Select(m => m.Name));
        Assert.Equal("https://a2.example/", options.Monitors[0].Url!.ToString());
        Assert.Equal("text/html", options.Monitors[0].Http!.Headers["Accept"]);
        Assert.Equal(TimeSpan.FromMinutes(45), Assert.IsType<RecurringMaintenance>(options.Monitors[1].Maintenance.Single()).Duration);
        Assert.Equal("yes", options.Monitors[2].Http!.Headers["X-Added"]);
    }

    [Fact]
    public void A_reloaded_or_changed_file_is_listed_as_it_is_now()
    {
        var file = Path.Combine(_dir, "config.json");
        File.WriteAllText(file, Json);
        var indexed = Build(new IndexedJsonConfigurationSource(), file);
        Assert.Equal(3, indexed.GetSection("UptimeWatch:Monitors").GetChildren().Count());

        File.WriteAllText(file, """{ "UptimeWatch": { "Monitors": [ { "Name": "Only", "Url": "https://only.example/" } ] } }""");
        indexed.Reload();
        Assert.Equal(["0"], indexed.GetSection("UptimeWatch:Monitors").GetChildren().Select(c => c.Key));

        indexed["UptimeWatch:Monitors:1:Name"] = "Added";
        Assert.Equal(["0", "1"], indexed.GetSection("UptimeWatch:Monitors").GetChildren().Select(c => c.Key));
    }

    [Fact]
    public void Reading_ten_thousand_monitors_walks_the_files_keys_once_where_the_plain_provider_walks_them_per_section()
    {
        // Counted, not timed: the plain provider scans every key for every section it lists (~4·N² comparisons, a
        // minute of CPU for 10,000 monitors); the index walks them once per load. A count holds on a loaded machine.
        var indexed = WalksWhileReading(new IndexedJsonConfigurationSource(), monitors: 10_000, out var options);
        Assert.Empty(options.Errors);
        Assert.Equal(10_000, options.Monitors.Count);
        Assert.Equal(1, indexed);

        // The same count on the plain provider (fewer monitors, it is quadratic): the counter sees the per-section scans.
        var plain = WalksWhileReading(new JsonConfigurationSource(), monitors: 500, out var plainOptions);
        Assert.Equal(500, plainOptions.Monitors.Count);
        Assert.True(plain >= 500, $"the plain provider walked the keys {plain} times for 500 monitors");
    }

    /// <summary>How many times the provider enumerated its keys while the reader read <paramref name="monitors"/> monitors.</summary>
    private int WalksWhileReading(JsonConfigurationSource source, int monitors, out UptimeWatchOptions options)
    {
        var file = Path.Combine(_dir, $"config-{monitors}.json");
        var items = Enumerable.Range(0, monitors).Select(i => $$"""{ "Name": "m{{i}}", "Url": "http://127.0.0.1:9/m/{{i}}", "IntervalSeconds": 30 }""");
        File.WriteAllText(file, $$"""{ "UptimeWatch": { "Monitors": [ {{string.Join(",", items)}} ] } }""");
        source.Path = file;
        source.ResolveFileProvider();
        var provider = (ConfigurationProvider)source.Build(new ConfigurationBuilder());
        var root = new ConfigurationRoot([provider]);
        // Data is the provider's protected store of loaded keys: swapped for a copy that counts its enumerations.
        var data = typeof(ConfigurationProvider).GetProperty("Data", BindingFlags.Instance | BindingFlags.NonPublic)!;
        var counting = new CountingKeys((IDictionary<string, string?>)data.GetValue(provider)!);
        data.SetValue(provider, counting);

        options = UptimeWatchConfigReader.Read(root);
        return counting.Walks;
    }

    /// <summary>The loaded keys, counting every walk over them (by enumerator or through <c>Keys</c>).</summary>
    private sealed class CountingKeys(IDictionary<string, string?> keys)
        : Dictionary<string, string?>(keys, StringComparer.OrdinalIgnoreCase), IDictionary<string, string?>, IEnumerable<KeyValuePair<string, string?>>
    {
        public int Walks { get; private set; }

        ICollection<string> IDictionary<string, string?>.Keys
        {
            get
            {
                Walks++;
                return Keys;
            }
        }

        IEnumerator<KeyValuePair<string, string?>> IEnumerable<KeyValuePair<string, string?>>.GetEnumerator()
        {
            Walks++;
            return GetEnumerator();
        }
    }
}
