using System.Text.Json;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>One app for the class: a config-file monitor, and console monitors each test creates under its own name.</summary>
public sealed class AdminSocketCommandFixture : IAsyncLifetime
{
    internal TargetServer Target { get; private set; } = null!;

    internal UptimeWatchApp App { get; private set; } = null!;

    public string Cookie { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Target = await TargetServer.StartAsync();
        App = new UptimeWatchApp(TestPaths.NewTempDirectory(), [UptimeWatchApp.Monitor("Config site", Target.Url("/ok"))]);
        Cookie = await App.SessionCookieAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Target.DisposeAsync();
    }
}

/// <summary>Every command over the admin WebSocket against the real implementation: replies and error codes.</summary>
public sealed class AdminSocketCommandTests(AdminSocketCommandFixture fixture) : IClassFixture<AdminSocketCommandFixture>, IAsyncLifetime
{
    private AdminSocketClient _socket = null!;

    public async Task InitializeAsync() => _socket = await AdminSocketClient.ConnectAsync(fixture.App, fixture.Cookie);

    public async Task DisposeAsync() => await _socket.DisposeAsync();

    private object Definition(string name, int intervalSeconds = 60) =>
        new Dictionary<string, object> { ["Name"] = name, ["Url"] = fixture.Target.Url("/ok").ToString(), ["IntervalSeconds"] = intervalSeconds };

    private async Task<JsonElement> OkAsync(string type, object? payload = null)
    {
        var reply = await _socket.CommandAsync(type, payload);
        Assert.True(reply.Type() == "ok", $"{type}: {reply}");
        return reply.GetProperty("payload");
    }

    private async Task<JsonElement> ErrorAsync(string type, object? payload, string code)
    {
        var reply = await _socket.CommandAsync(type, payload);
        Assert.True(reply.Type() == "error" && reply.Code() == code, $"{type}: expected {code}, got {reply}");
        return reply;
    }

    private static string[] Slugs(JsonElement list) =>
        [.. list.GetProperty("monitors").EnumerateArray().Select(m => m.GetProperty("slug").GetString()!)];

    [Fact]
    public async Task A_created_monitor_is_a_console_monitor_that_get_and_list_show()
    {
        var created = await OkAsync("monitors.create", new { monitor = Definition("Docs site", 45) });
        var got = await OkAsync("monitors.get", new { slug = "docs-site" });
        var list = await OkAsync("monitors.list");

        Assert.Equal(("docs-site", "Docs site", "console", 45), (created.GetProperty("slug").GetString(), created.GetProperty("name").GetString(),
            created.GetProperty("source").GetString(), created.GetProperty("intervalSeconds").GetInt32()));
        Assert.Equal("45", got.GetProperty("definition").GetProperty("IntervalSeconds").GetString());
        Assert.Contains("docs-site", Slugs(list));
        Assert.Contains("config-site", Slugs(list));
    }

    [Fact]
    public async Task Update_replaces_the_definition_and_a_rename_changes_the_slug()
    {
        await OkAsync("monitors.create", new { monitor = Definition("Blog") });

        var updated = await OkAsync("monitors.update", new { slug = "blog", monitor = Definition("Blog EU", 120) });
        var old = await ErrorAsync("monitors.get", new { slug = "blog" }, "not_found");

        Assert.Equal(("blog-eu", 120), (updated.GetProperty("slug").GetString(), updated.GetProperty("intervalSeconds").GetInt32()));
        Assert.Equal("No monitor \"blog\"", old.Message());
    }

    [Fact]
    public async Task Delete_archives_the_monitor_so_it_is_no_longer_listed_or_found()
    {
        await OkAsync("monitors.create", new { monitor = Definition("Old shop") });

        var deleted = await OkAsync("monitors.delete", new { slug = "old-shop" });
        var list = await OkAsync("monitors.list");

        Assert.Equal("""{"slug":"old-shop","archived":true}""", deleted.GetRawText());
        Assert.DoesNotContain("old-shop", Slugs(list));
        await ErrorAsync("monitors.get", new { slug = "old-shop" }, "not_found");
        await ErrorAsync("monitors.delete", new { slug = "old-shop" }, "not_found");
    }

    [Fact]
    public async Task An_invalid_monitor_is_validation_with_a_field_map()
    {
        var error = await ErrorAsync("monitors.create", new { monitor = Definition("Broken", intervalSeconds: 0) }, "validation");

        Assert.StartsWith("IntervalSeconds \"0\"", error.Message());
        Assert.Contains(error.GetProperty("fields").GetProperty("IntervalSeconds").GetString()!, error.Message());
        await ErrorAsync("monitors.get", new { slug = "broken" }, "not_found");
    }

    [Fact]
    public async Task A_name_another_monitor_has_is_conflict()
    {
        await OkAsync("monitors.create", new { monitor = Definition("Status API") });

        var error = await ErrorAsync("monitors.create", new { monitor = Definition("status api") }, "conflict");

        Assert.Contains("already has the identifier \"status-api\"", error.Message());
        Assert.True(error.GetProperty("fields").TryGetProperty("Name", out _));
    }

    [Fact]
    public async Task Changing_or_deleting_a_config_monitor_is_config_managed_but_operations_work()
    {
        var update = await ErrorAsync("monitors.update", new { slug = "config-site", monitor = Definition("Config site", 30) }, "config_managed");
        var delete = await ErrorAsync("monitors.delete", new { slug = "config-site" }, "config_managed");
        var check = await OkAsync("monitors.checkNow", new { slug = "config-site" });

        Assert.Contains("is defined in", update.Message());
        Assert.Contains("edit the file", delete.Message());
        Assert.Equal("up", check.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Pause_then_resume_changes_the_monitors_status()
    {
        await OkAsync("monitors.create", new { monitor = Definition("Wiki") });

        var paused = await OkAsync("monitors.pause", new { slug = "wiki" });
        var pausedCheck = await OkAsync("monitors.checkNow", new { slug = "wiki" });
        var resumed = await OkAsync("monitors.resume", new { slug = "wiki" });

        Assert.Equal("paused", paused.GetProperty("status").GetString());
        Assert.False(pausedCheck.GetProperty("recorded").GetBoolean());
        Assert.NotEqual("paused", resumed.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Check_now_runs_a_recorded_check_and_returns_its_result()
    {
        await OkAsync("monitors.create", new { monitor = Definition("Landing page", 3600) });

        var result = await OkAsync("monitors.checkNow", new { slug = "landing-page" });
        // Recorded through the writer's queue, so it shows in the monitor's recent checks a moment after the reply.
        var monitor = await Eventually.Until(() => OkAsync("monitors.get", new { slug = "landing-page" }),
            m => m.GetProperty("recent").GetArrayLength() > 0, what: "the check in recent");

        Assert.Equal(("landing-page", "up", true, 200), (result.GetProperty("slug").GetString(), result.GetProperty("outcome").GetString(),
            result.GetProperty("recorded").GetBoolean(), result.GetProperty("httpStatus").GetInt32()));
        Assert.Equal("up", monitor.GetProperty("recent")[0].GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Export_gives_every_active_monitor_as_config()
    {
        await OkAsync("monitors.create", new { monitor = Definition("Exported") });

        var export = await OkAsync("monitors.export");

        var names = export.GetProperty("UptimeWatch").GetProperty("Monitors").EnumerateArray().Select(m => m.GetProperty("Name").GetString()).ToList();
        Assert.Contains("Exported", names);
        Assert.Contains("Config site", names);
    }

    [Fact]
    public async Task A_maintenance_window_is_created_and_deleted_once()
    {
        var window = await OkAsync("maintenance.create", new { slug = "config-site", minutes = 30, reason = "DB upgrade" });
        var id = window.GetProperty("id").GetInt64();
        var monitor = await OkAsync("monitors.get", new { slug = "config-site" });

        var deleted = await OkAsync("maintenance.delete", new { id });

        Assert.Equal("DB upgrade", window.GetProperty("reason").GetString());
        Assert.Contains(monitor.GetProperty("maintenance").EnumerateArray(), m => m.GetProperty("id").GetInt64() == id);
        Assert.Equal($$"""{"id":{{id}},"deleted":true}""", deleted.GetRawText());
        await ErrorAsync("maintenance.delete", new { id }, "not_found");
    }

    [Fact]
    public async Task A_maintenance_window_without_an_end_is_validation_naming_end()
    {
        var error = await ErrorAsync("maintenance.create", new { slug = "config-site" }, "validation");

        Assert.True(error.GetProperty("fields").TryGetProperty("end", out _), error.ToString());
        await ErrorAsync("maintenance.create", new { slug = "nowhere", minutes = 5 }, "not_found");
    }

    [Fact]
    public async Task Alerts_list_and_an_unknown_alert_is_not_found()
    {
        var open = await OkAsync("alerts.list");
        var all = await OkAsync("alerts.list", new { state = "all", limit = 5 });
        var tooMany = await ErrorAsync("alerts.list", new { limit = 5000 }, "bad_request");
        var unknown = await ErrorAsync("alerts.ack", new { id = 999999 }, "not_found");

        Assert.Equal(JsonValueKind.Array, open.GetProperty("alerts").ValueKind);
        Assert.Equal(JsonValueKind.Array, all.GetProperty("alerts").ValueKind);
        Assert.True(tooMany.GetProperty("fields").TryGetProperty("limit", out _));
        Assert.Equal("No alert \"999999\"", unknown.Message());
    }

    [Fact]
    public async Task Config_status_names_no_errors_when_the_config_applied()
    {
        var status = await OkAsync("config.status");

        Assert.Empty(status.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public async Task After_subscribe_a_created_monitor_is_pushed_as_monitors_changed_and_unsubscribe_stops_pushes()
    {
        await OkAsync("subscribe");
        await OkAsync("monitors.create", new { monitor = Definition("Changelog") });
        var changed = await _socket.NextPushAsync(p => p.Type() == "monitors.changed"
                                                       && p.GetProperty("payload").GetProperty("slug").GetString() == "changelog", "changelog created");

        var unsubscribed = await OkAsync("unsubscribe");
        _socket.Pushes.Clear();
        await OkAsync("monitors.delete", new { slug = "changelog" });
        await OkAsync("monitors.list");

        Assert.Equal(JsonValueKind.Null, changed.GetProperty("seq").ValueKind);
        Assert.Equal("created", changed.GetProperty("payload").GetProperty("change").GetString());
        Assert.Equal("{}", unsubscribed.GetRawText());
        // The delete's monitors.changed would have been published before its reply.
        Assert.DoesNotContain(_socket.Pushes, p => p.Type() == "monitors.changed");
    }

    [Fact]
    public async Task Many_commands_sent_at_once_each_get_exactly_one_reply()
    {
        var ids = Enumerable.Range(1, 30).Select(i => $"burst-{i}").ToList();
        foreach (var id in ids)
        {
            await _socket.SendTextAsync(JsonSerializer.Serialize(new { type = id.EndsWith('7') ? "monitors.get" : "monitors.list", id,
                payload = new { slug = "nowhere" } }));
        }
        var replies = new List<JsonElement>();
        for (var i = 0; i < ids.Count; i++)
        {
            replies.Add((await _socket.ReceiveAsync())!.Value);
        }

        Assert.Equal(ids.Order(), replies.Select(r => r.GetProperty("id").GetString()!).Order());
        Assert.All(replies.Where(r => r.GetProperty("id").GetString()!.EndsWith('7')), r => Assert.Equal("not_found", r.Code()));
        Assert.All(replies.Where(r => !r.GetProperty("id").GetString()!.EndsWith('7')), r => Assert.Equal("ok", r.Type()));
    }
}
