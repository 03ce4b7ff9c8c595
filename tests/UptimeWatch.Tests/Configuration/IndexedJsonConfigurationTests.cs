using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using UptimeWatch.Configuration;

namespace UptimeWatch.Tests.Configuration;

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
    public void Ten_thousand_monitors_are_read_in_seconds_not_minutes()
    {
        var file = Path.Combine(_dir, "config.json");
        var monitors = Enumerable.Range(0, 10_000).Select(i => $$"""{ "Name": "m{{i}}", "Url": "http://127.0.0.1:9/m/{{i}}", "IntervalSeconds": 30 }""");
        File.WriteAllText(file, $$"""{ "UptimeWatch": { "Monitors": [ {{string.Join(",", monitors)}} ] } }""");
        var indexed = Build(new IndexedJsonConfigurationSource(), file);

        var sw = Stopwatch.StartNew();
        var options = UptimeWatchConfigReader.Read(indexed);

        Assert.Empty(options.Errors);
        Assert.Equal(10_000, options.Monitors.Count);
        // The plain provider took about a minute of CPU for this; indexed it is well under a second on a dev machine.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"reading took {sw.Elapsed.TotalSeconds:F1} s");
    }
}
