using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace UptimeWatch.Tests.EndToEnd;

/// <summary>The config file and the console, side by side in the real binary: each keeps its own monitors.</summary>
[Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
public sealed class ConsoleAndConfigTests
{
    private const string Password = "correct horse battery";

    private static string Config(Uri url, string websiteUrl) => $$"""
        {
          "UptimeWatch": {
            "DataDirectory": "data",
            "Admin": { "InitialPassword": "{{Password}}" },
            "Monitors": [ { "Name": "Website", "Url": "{{websiteUrl}}", "IntervalSeconds": 1, "TimeoutSeconds": 1 },
                          { "Name": "Api", "Url": "{{url}}", "IntervalSeconds": 1, "TimeoutSeconds": 1 } ]
          }
        }
        """;

    [Fact]
    public async Task Console_monitors_survive_config_reloads_and_a_rejected_file_is_reported_with_its_errors()
    {
        await using var target = await TargetServer.StartAsync();
        var work = TestPaths.NewTempDirectory();
        var config = Path.Combine(work, "uptimewatch.json");
        await File.WriteAllTextAsync(config, Config(target.Url("/ok"), target.Url("/ok").ToString()));
        await using var host = await HostProcess.StartServingAsync(work, ["--config", config]);
        using var client = host.NewClient(new HttpClientHandler { CookieContainer = new CookieContainer() });

        (await client.PostAsJsonAsync("/api/admin/login", new { password = Password })).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync("/api/admin/monitors", new { Name = "Console made", Url = target.Url("/ok").ToString(), IntervalSeconds = 1 }))
            .EnsureSuccessStatusCode();
        using var edit = await client.PutAsJsonAsync("/api/admin/monitors/api", new { Name = "Api", Url = "https://example.com/" });
        var refused = (await edit.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>();

        // The file drops "Api": it is archived; the console's monitor stays.
        await File.WriteAllTextAsync(config, Config(target.Url("/ok"), target.Url("/ok").ToString()).Replace("\"Api\"", "\"Api v2\""));
        await Eventually.Until(() => Slugs(client), s => s.SequenceEqual(["api-v2", "console-made", "website"]), TimeSpan.FromSeconds(30), "the reload");

        // A broken edit: reported by the console API with the file's errors; nothing changes.
        await File.WriteAllTextAsync(config, Config(target.Url("/ok"), "ftp://127.0.0.1/"));
        var status = await Eventually.Until(() => client.GetFromJsonAsync<JsonObject>("/api/admin/config")!, s => s!["errors"]!.AsArray().Count > 0,
            TimeSpan.FromSeconds(30), "the rejection");

        Assert.Equal(HttpStatusCode.Conflict, edit.StatusCode);
        Assert.StartsWith($"Monitor \"api\" is defined in {config} and cannot be changed here", refused);
        Assert.Equal(config, status!["file"]!.GetValue<string>());
        Assert.Contains("Url \"ftp://127.0.0.1/\" is not an absolute http(s) URL", status["errors"]![0]!.GetValue<string>());
        Assert.Equal(["api-v2", "console-made", "website"], await Slugs(client));
        var sources = (await client.GetFromJsonAsync<JsonObject>("/api/admin/monitors"))!["monitors"]!.AsArray()
            .ToDictionary(m => m!["slug"]!.GetValue<string>(), m => m!["source"]!.GetValue<string>());
        Assert.Equal(("console", "config"), (sources["console-made"], sources["website"]));
    }

    private static async Task<List<string>> Slugs(HttpClient client) =>
        [.. (await client.GetFromJsonAsync<JsonObject>("/api/admin/monitors"))!["monitors"]!.AsArray().Select(m => m!["slug"]!.GetValue<string>()).Order()];
}
