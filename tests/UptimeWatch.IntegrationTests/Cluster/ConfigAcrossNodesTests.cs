using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using UptimeWatch.IntegrationTests.Browser;
using static Microsoft.Playwright.Assertions;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>
/// The monitors file on several nodes (docs/scale-out.md, "Config files in a cluster"): the same file is applied once,
/// a node started with a file the cluster has moved past does not put it back, and says so.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConfigAcrossNodesTests(ChromiumFixture chromium) : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly BrowserPages _pages = new(chromium);
    private PostgresServer _postgres = null!;

    public async Task InitializeAsync() => _postgres = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _pages.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    private static object Monitor(string name) => new { Name = name, Url = "http://127.0.0.1:9/", IntervalSeconds = 60 };

    [Fact]
    public async Task The_same_file_on_three_nodes_started_at_once_is_applied_once()
    {
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 3, [Monitor("Shop"), Monitor("Blog")], atOnce: true);

        await using var db = cluster.OpenDatabase();
        Assert.Equal(1L, await PostgresServer.ScalarAsync<long>(cluster.ConnectionString, "SELECT count(*) FROM applied_configs"));
        Assert.Equal(1, cluster.Nodes.Count(n => n.Stdout.Contains("applied its monitors file to the cluster", StringComparison.Ordinal)));
        Assert.Equal(2, cluster.Nodes.Count(n => n.Stdout.Contains("is the one the cluster runs", StringComparison.Ordinal)));
        Assert.Equal(["blog", "shop"], await db.Monitors.Where(m => m.ArchivedAt == null).Select(m => m.Slug).OrderBy(s => s).ToListAsync());
        for (var i = 0; i < cluster.Count; i++)
        {
            var config = await ConfigHealthAsync(cluster[i]);
            Assert.Equal("healthy", (string?)config["status"]);
            Assert.Contains("the one the cluster runs", (string?)config["description"]);
        }
        Assert.DoesNotContain("archived with its history", cluster.Output());
    }

    [Fact]
    public async Task A_node_started_with_a_file_the_cluster_moved_past_does_not_put_it_back_and_says_so()
    {
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 2, [Monitor("Shop"), Monitor("Blog")],
            new { Admin = new { InitialPassword = Password } });
        // A new file deployed to node 2 and started there: a deliberate change, so the cluster now runs it.
        cluster.WriteNodeConfig(1, [Monitor("Shop"), Monitor("Docs")], new { Admin = new { InitialPassword = Password } });
        await cluster.StartNodeAsync(1);
        var deployed = await RowsAsync(cluster);
        Assert.Equal(["docs", "shop"], deployed.Where(r => r.ArchivedAt == null).Select(r => r.Slug).Order());

        // Node 1 restarts with the file it had: one the cluster has run before and replaced since.
        await cluster.StartNodeAsync(0);
        Assert.Equal(deployed, await RowsAsync(cluster));
        Assert.Contains("differs from the one the cluster runs", cluster[0].Stdout);
        var health = await ConfigHealthAsync(cluster[0]);
        Assert.Equal("degraded", (string?)health["status"]);
        Assert.Contains("differs from the one the cluster runs", (string?)health["description"]);
        var console = await ConsoleConfigStatusAsync(cluster[0]);
        Assert.True((bool?)console["cluster"]?["differs"], console.ToJsonString());
        Assert.Contains("differs from the one the cluster runs", (string?)console["cluster"]?["message"]);
        await AssertConsoleBannerAsync(cluster[0], "differs from the one the cluster runs");
        Assert.Equal("healthy", (string?)(await ConfigHealthAsync(cluster[1]))["status"]);

        // Node 2 restarting with the cluster's file changes nothing either: no flip back and forth.
        await cluster.StartNodeAsync(1);
        Assert.Equal(deployed, await RowsAsync(cluster));

        // An edit on node 1 while it runs is a deliberate change again: applied, and now node 2 is the one that differs.
        ClusterNodes.WriteConfig(Path.GetDirectoryName(cluster.ConfigPath)!, [Monitor("Shop"), Monitor("Blog"), Monitor("Wiki")],
            new { Admin = new { InitialPassword = Password } });
        await Eventually.Until(async () =>
        {
            await using var db = cluster.OpenDatabase();
            return await db.Monitors.AnyAsync(m => m.Slug == "wiki" && m.ArchivedAt == null);
        }, applied => applied, TimeSpan.FromSeconds(60), "node 1's edited file applied");
        Assert.Equal("healthy", (string?)(await ConfigHealthAsync(cluster[0]))["status"]);
        Assert.Equal("degraded", (string?)(await ConfigHealthAsync(cluster[1]))["status"]);

        // Going back a version on node 1 while it is stopped is a deliberate change too: its file changed since it last
        // applied one, so the restart applies the earlier file (Wiki archived again).
        await cluster.KillAsync(0);
        ClusterNodes.WriteConfig(Path.GetDirectoryName(cluster.ConfigPath)!, [Monitor("Shop"), Monitor("Blog")],
            new { Admin = new { InitialPassword = Password } });
        await cluster.StartNodeAsync(0);
        Assert.Equal(["blog", "shop"], (await RowsAsync(cluster)).Where(r => r.ArchivedAt == null).Select(r => r.Slug).Order());
        Assert.Equal("healthy", (string?)(await ConfigHealthAsync(cluster[0]))["status"]);
    }

    private sealed record Row(string Slug, string Source, DateTimeOffset? ArchivedAt, DateTimeOffset UpdatedAt);

    private static async Task<List<Row>> RowsAsync(ClusterNodes cluster)
    {
        await using var db = cluster.OpenDatabase();
        // UpdatedAt moves with every change a config sync makes (an archive, a restore, an edit); checks leave it alone.
        return await db.Monitors.AsNoTracking().OrderBy(m => m.Slug).Select(m => new Row(m.Slug, m.Source, m.ArchivedAt, m.UpdatedAt)).ToListAsync();
    }

    private static async Task<JsonObject> ConfigHealthAsync(HostProcess node)
    {
        using var client = node.NewClient();
        using var response = await client.GetAsync("/healthz");
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return body["checks"]?["config"]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"no config check in /healthz: {body.ToJsonString()}");
    }

    /// <summary>The admin console of <paramref name="node"/>, signed in, shows the cluster banner with this text.</summary>
    private async Task AssertConsoleBannerAsync(HostProcess node, string text)
    {
        var page = await _pages.OpenAsync(new Uri(node.Address, "admin"), new() { Width = 1280, Height = 900 });
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var banner = page.Locator("#cluster-banner");
        await Expect(banner).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Expect(banner.Locator("#cluster-text")).ToContainTextAsync(text);
        await BrowserPages.SaveScreenshotAsync(page, "admin-console-cluster-config-differs.png");
    }

    private static async Task<JsonObject> ConsoleConfigStatusAsync(HostProcess node)
    {
        using var client = node.NewClient(new HttpClientHandler { UseCookies = true });
        using var login = await client.PostAsJsonAsync("/api/admin/login", new { password = Password });
        login.EnsureSuccessStatusCode();
        return (await client.GetFromJsonAsync<JsonObject>("/api/admin/config"))!;
    }
}
