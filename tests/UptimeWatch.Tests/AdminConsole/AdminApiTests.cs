using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>The REST write API, through the real HTTP surface with an API token, against real checks of a local target.</summary>
public sealed class AdminApiTests : IAsyncLifetime
{
    private TargetServer _target = null!;

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    private static async Task<HttpClient> ScriptAsync(UptimeWatchApp app)
    {
        using var console = await app.SignedInAsync();
        using var created = await console.PostAsJsonAsync("/api/admin/tokens", new { name = "ci" });
        var secret = (await created.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!.GetValue<string>();
        var client = app.Browser();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }

    private object Fast(string name, string path = "/health", int failureThreshold = 1, params (string Field, object Value)[] extra)
    {
        var monitor = new Dictionary<string, object>
        {
            ["Name"] = name, ["Url"] = _target.Url(path).ToString(), ["IntervalSeconds"] = 1, ["TimeoutSeconds"] = 1,
            ["FailureThreshold"] = failureThreshold,
        };
        foreach (var (field, value) in extra)
        {
            monitor[field] = value;
        }
        return monitor;
    }

    private static async Task<MonitorDto> MonitorAsync(HttpClient client, string slug) =>
        (await client.GetFromJsonAsync<MonitorDto>($"/api/admin/monitors/{slug}"))!;

    /// <summary>Until the console shows <paramref name="status"/> (it shows what is stored, with the checks that led to it).</summary>
    private static Task<MonitorDto> WaitForAsync(HttpClient client, string slug, string status) =>
        Eventually.Until(() => MonitorAsync(client, slug), m => m.Status == status, TimeSpan.FromSeconds(20), $"{slug} to be {status}");

    /// <summary>Routine checks wait up to a second for others to share their transaction.</summary>
    private static readonly Dictionary<string, string?> LongWriteWindow = new() { ["UptimeWatch:Storage:WriteWindowMilliseconds"] = "1000" };

    private static async Task<List<AlertDto>> AlertsAsync(HttpClient client, string state = "all") =>
        (await client.GetFromJsonAsync<AlertsDto>($"/api/admin/alerts?state={state}"))!.Alerts;

    [Fact]
    public async Task Without_a_session_or_token_every_write_is_401()
    {
        await using var app = AdminTesting.NewApp();
        using var anonymous = app.Browser();
        // Walked from the app's own OpenAPI document, so a write endpoint added later is covered without a test edit.
        var writes = await AdminTesting.WriteEndpointsAsync(anonymous);
        // Anonymous by design: they are how a session starts (first-run setup, sign-in) or ends (signing out with no
        // session is a harmless 204 that clears the cookie).
        (HttpMethod, string)[] open = [(HttpMethod.Post, "/api/admin/setup"), (HttpMethod.Post, "/api/admin/login"), (HttpMethod.Post, "/api/admin/logout")];
        Assert.All(open, o => Assert.Contains(o, writes));
        Assert.True(writes.Count >= 15, $"only {writes.Count} write endpoints in /openapi/v1.json");

        var failures = new List<string>();
        foreach (var (method, path) in writes.Except(open))
        {
            using var response = await anonymous.SendAsync(new HttpRequestMessage(method, path) { Content = JsonContent.Create(new { }) });
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                failures.Add($"{method} {path} answered {(int)response.StatusCode}");
            }
        }
        using var list = await anonymous.GetAsync("/api/admin/monitors");

        Assert.Empty(failures);
        Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
    }

    [Fact]
    public async Task A_monitors_checks_on_the_admin_api_carry_the_probes_own_error_and_location_which_the_public_sees_only_as_a_category()
    {
        // A port nothing listens on: the probe's error names it, which the public must not see.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var app = AdminTesting.NewApp(new() { ["UptimeWatch:Location"] = "eu-west" });
        using var script = await ScriptAsync(app);
        using var created = await script.PostAsJsonAsync("/api/admin/monitors", new Dictionary<string, object>
        {
            ["Name"] = "Closed", ["Url"] = $"http://127.0.0.1:{closedPort}/x", ["IntervalSeconds"] = 1, ["TimeoutSeconds"] = 1, ["FailureThreshold"] = 1,
        });
        created.EnsureSuccessStatusCode();
        await WaitForAsync(script, "closed", "down");

        var admin = (await script.GetFromJsonAsync<AdminChecksDto>("/api/admin/monitors/closed/checks?limit=5"))!.Checks;
        var shown = (await app.ChecksAsync("closed", limit: 5));
        using var anonymous = app.CreateClient();
        var publicJson = (await anonymous.GetFromJsonAsync<JsonObject>("/api/monitors/closed/checks?limit=5"))!["checks"]!.AsArray();
        using var tooMany = await script.GetAsync("/api/admin/monitors/closed/checks?limit=1001");
        using var unknown = await script.GetAsync("/api/admin/monitors/nope/checks");

        var newest = admin[0];
        Assert.Equal(("down", "connection_refused"), (newest.Outcome, newest.Category));
        Assert.Contains($"127.0.0.1:{closedPort}", newest.Error);
        Assert.All(shown, c => Assert.Equal(("connection refused", "connection_refused"), (c.Error, c.Category)));
        // Where each check was made from is the team's business: the admin API names it, the public API leaves it out.
        Assert.All(admin, c => Assert.Equal("eu-west", c.Location));
        Assert.All(publicJson, c => Assert.False(c!.AsObject().ContainsKey("location")));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal("limit \"1001\" must be from 1 to 1000", (await tooMany.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_monitor_created_with_a_token_is_checked_and_shown_with_its_source()
    {
        await using var app = AdminTesting.NewApp();
        using var script = await ScriptAsync(app);

        using var created = await script.PostAsJsonAsync("/api/admin/monitors", Fast("Shop API", extra: ("Group", "Shop")));
        var monitor = await WaitForAsync(script, "shop-api", "up");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/admin/monitors/shop-api", created.Headers.Location!.ToString());
        Assert.Equal(("Shop API", "Shop", "console", (string?)null), (monitor.Name, monitor.Group, monitor.Source, monitor.ConfigFile));
        Assert.NotEmpty(monitor.Recent);
        Assert.Equal("up", monitor.Recent[^1].Outcome);
        // Public by default: the status page has it too.
        Assert.Contains((await app.StatusAsync()).Monitors, m => m.Slug == "shop-api");
    }

    [Fact]
    public async Task An_invalid_monitor_is_a_problem_naming_each_field_and_value_and_nothing_is_stored()
    {
        await using var app = AdminTesting.NewApp();
        using var script = await ScriptAsync(app);

        using var response = await script.PostAsJsonAsync("/api/admin/monitors",
            new { Name = "Bad", Url = "https://example.com/", IntervalSeconds = 0, Keywrd = "x" });
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var list = (await script.GetFromJsonAsync<MonitorsDto>("/api/admin/monitors"))!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("validation", problem["code"]!.GetValue<string>());
        Assert.Equal(400, problem["status"]!.GetValue<int>());
        Assert.Contains("IntervalSeconds \"0\" must be a whole number of seconds from 1 to 86400", problem["detail"]!.GetValue<string>());
        Assert.Equal("must be a whole number of seconds from 1 to 86400", problem["errors"]!["IntervalSeconds"]![0]!.GetValue<string>());
        Assert.Equal("is not a monitor field (did you mean Keyword?)", problem["errors"]!["Keywrd"]![0]!.GetValue<string>());
        Assert.Empty(list.Monitors);
    }

    [Fact]
    public async Task Every_rest_error_is_a_problem_with_a_type_uri_per_code_and_a_title()
    {
        // docs/admin-protocol.md, REST: errors carry `type` and `title` besides `status`, `detail` and `code`, the type
        // being https://uptimewatch.dev/problems/<code>. A client may switch on `type`; one per code, each with its title.
        await using var app = AdminTesting.NewApp();
        using var script = await ScriptAsync(app);
        using var browser = await app.SignedInAsync();

        using var invalid = await script.PostAsJsonAsync("/api/admin/monitors", new { Name = "Bad", Url = "https://example.com/", IntervalSeconds = 0 });
        using var missing = await script.GetAsync("/api/admin/monitors/nowhere");
        using var notJson = await script.PostAsync("/api/admin/monitors", new StringContent("{\"Name\": ", System.Text.Encoding.UTF8, "application/json"));
        using var plainText = await browser.PostAsync("/api/admin/monitors", new StringContent("{}", System.Text.Encoding.UTF8, "text/plain"));
        var problems = new List<(HttpStatusCode Status, string? Media, string Code, string Type, string Title, int StatusField)>();
        foreach (var response in new[] { invalid, missing, notJson, plainText })
        {
            var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            problems.Add((response.StatusCode, response.Content.Headers.ContentType?.MediaType, problem["code"]!.GetValue<string>(),
                problem["type"]!.GetValue<string>(), problem["title"]!.GetValue<string>(), problem["status"]!.GetValue<int>()));
        }

        Assert.Equal(
            [
                (HttpStatusCode.BadRequest, "validation", "https://uptimewatch.dev/problems/validation"),
                (HttpStatusCode.NotFound, "not_found", "https://uptimewatch.dev/problems/not-found"),
                (HttpStatusCode.BadRequest, "bad_request", "https://uptimewatch.dev/problems/bad-request"),
                (HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", "https://uptimewatch.dev/problems/unsupported-media-type"),
            ],
            problems.Select(p => (p.Status, p.Code, p.Type)));
        Assert.All(problems, p => Assert.Equal(("application/problem+json", (int)p.Status), (p.Media, p.StatusField)));
        // A title says what kind of problem it is, in words: present, and its own for each code.
        Assert.All(problems, p => Assert.False(string.IsNullOrWhiteSpace(p.Title), $"{p.Code} has no title"));
        Assert.Equal(problems.Count, problems.Select(p => p.Title).Distinct().Count());
        Assert.Equal("Not found", problems[1].Title);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_problem_not_a_crash()
    {
        await using var app = AdminTesting.NewApp();
        using var script = await ScriptAsync(app);

        using var response = await script.PostAsync("/api/admin/monitors", new StringContent("{\"Name\": ", System.Text.Encoding.UTF8, "application/json"));
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_request", problem["code"]!.GetValue<string>());
        Assert.StartsWith("body is not valid JSON", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_config_file_monitor_cannot_be_edited_or_deleted_here_but_can_be_paused()
    {
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [UptimeWatchApp.Monitor("Web", _target.Url("/health"))]);
        using var script = await ScriptAsync(app);
        await WaitForAsync(script, "web", "up");

        using var update = await script.PutAsJsonAsync("/api/admin/monitors/web", new { Name = "Web", Url = "https://example.com/" });
        using var delete = await script.DeleteAsync("/api/admin/monitors/web");
        var problem = (await update.Content.ReadFromJsonAsync<JsonObject>())!;
        using var pause = await script.PostAsync("/api/admin/monitors/web/pause", null);

        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.Conflict, HttpStatusCode.OK), (update.StatusCode, delete.StatusCode, pause.StatusCode));
        Assert.Equal("config_managed", problem["code"]!.GetValue<string>());
        Assert.StartsWith("Monitor \"web\" is defined in the config file and cannot be changed here", problem["detail"]!.GetValue<string>());
        var monitor = await MonitorAsync(script, "web");
        Assert.Equal(("config", "paused", _target.Url("/health").ToString()), (monitor.Source, monitor.Status, monitor.Target));
    }

    [Fact]
    public async Task A_second_monitor_with_the_same_name_is_a_conflict()
    {
        await using var app = AdminTesting.NewApp();
        using var script = await ScriptAsync(app);
        (await script.PostAsJsonAsync("/api/admin/monitors", Fast("Docs"))).EnsureSuccessStatusCode();

        using var again = await script.PostAsJsonAsync("/api/admin/monitors", Fast("DOCS!"));
        var problem = (await again.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("conflict", problem["code"]!.GetValue<string>());
        Assert.Contains("already has the identifier \"docs\"", problem["errors"]!["Name"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Secrets_read_masked_and_an_update_sending_the_mask_back_keeps_them()
    {
        await using var app = AdminTesting.NewApp();
        using var script = await ScriptAsync(app);
        (await script.PostAsJsonAsync("/api/admin/monitors",
            Fast("Private", "/ok", extra: [("BearerToken", "s3cret-token"), ("Headers", new Dictionary<string, string> { ["X-Api-Key"] = "k3y", ["Accept"] = "text/plain" })])))
            .EnsureSuccessStatusCode();

        var shown = await MonitorAsync(script, "private");
        var listJson = await script.GetStringAsync("/api/admin/monitors");
        var definition = shown.Definition.DeepClone().AsObject();
        definition["IntervalSeconds"] = "5";
        using var update = await script.PutAsJsonAsync("/api/admin/monitors/private", definition);
        var exported = (await script.GetFromJsonAsync<JsonObject>("/api/admin/export"))!;

        Assert.Equal("********", shown.Definition["BearerToken"]!.GetValue<string>());
        Assert.Equal("********", shown.Definition["Headers"]!["X-Api-Key"]!.GetValue<string>());
        Assert.Equal("text/plain", shown.Definition["Headers"]!["Accept"]!.GetValue<string>());
        Assert.DoesNotContain("s3cret-token", listJson);
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        var monitor = exported["UptimeWatch"]!["Monitors"]![0]!;
        Assert.Equal(("s3cret-token", "k3y", 5), (monitor["BearerToken"]!.GetValue<string>(), monitor["Headers"]!["X-Api-Key"]!.GetValue<string>(),
            monitor["IntervalSeconds"]!.GetValue<int>()));
    }

    [Fact]
    public async Task AllowInsecureRedirects_is_a_monitor_field_that_create_and_update_accept_and_check()
    {
        await using var app = AdminTesting.NewApp();
        using var script = await ScriptAsync(app);

        using var created = await script.PostAsJsonAsync("/api/admin/monitors", Fast("Legacy", "/ok", extra: [("AllowInsecureRedirects", true)]));
        var shown = await MonitorAsync(script, "legacy");
        var definition = shown.Definition.DeepClone().AsObject();
        definition["AllowInsecureRedirects"] = "sometimes";
        using var update = await script.PutAsJsonAsync("/api/admin/monitors/legacy", definition);
        var problem = (await update.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("true", shown.Definition["AllowInsecureRedirects"]!.ToString(), ignoreCase: true);
        Assert.Equal(HttpStatusCode.BadRequest, update.StatusCode);
        Assert.Equal("must be true or false", problem["errors"]!["AllowInsecureRedirects"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Export_is_an_appsettings_block_with_every_monitor_that_the_config_reader_accepts()
    {
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [UptimeWatchApp.Monitor("Web", _target.Url("/health"))]);
        using var script = await ScriptAsync(app);
        (await script.PostAsJsonAsync("/api/admin/monitors", new
        {
            Name = "Search", Url = _target.Url("/ok").ToString(), IntervalSeconds = 30,
            Maintenance = new[] { new { Cron = "0 3 * * 0", DurationMinutes = 30 } },
        })).EnsureSuccessStatusCode();

        var exported = (await script.GetFromJsonAsync<JsonObject>("/api/admin/export"))!;
        var monitors = exported["UptimeWatch"]!["Monitors"]!.AsArray();

        Assert.Equal(["Web", "Search"], monitors.Select(m => m!["Name"]!.GetValue<string>()));
        var search = monitors[1]!;
        Assert.Equal(30, search["IntervalSeconds"]!.GetValue<int>());
        Assert.Equal("0 3 * * 0", search["Maintenance"]![0]!["Cron"]!.GetValue<string>());
        // What is exported reads back through the same rules into the same definitions.
        var path = Path.Combine(TestPaths.NewTempDirectory(), "appsettings.json");
        await File.WriteAllTextAsync(path, exported.ToJsonString());
        var read = UptimeWatch.Configuration.UptimeWatchConfigReader.Read(
            new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddJsonFile(path).Build());
        Assert.Empty(read.Errors);
        Assert.Equal(["web", "search"], read.Monitors.Select(m => m.Slug));
    }

    [Fact]
    public async Task A_down_monitor_raises_one_alert_that_is_acknowledged_then_resolved_with_event_log_seqs()
    {
        await using var app = AdminTesting.NewApp();
        using var script = await ScriptAsync(app);
        (await script.PostAsJsonAsync("/api/admin/monitors", Fast("Checkout"))).EnsureSuccessStatusCode();
        await WaitForAsync(script, "checkout", "up");

        _target.Healthy = false;
        await WaitForAsync(script, "checkout", "down");
        var raised = Assert.Single(await AlertsAsync(script, "open"));
        using var ack = await script.PostAsJsonAsync($"/api/admin/alerts/{raised.Id}/ack", new { note = "on it" });
        var acknowledged = (await ack.Content.ReadFromJsonAsync<AlertDto>())!;
        using var again = await script.PostAsync($"/api/admin/alerts/{raised.Id}/ack", null);
        _target.Healthy = true;
        await WaitForAsync(script, "checkout", "up");
        var resolved = Assert.Single(await AlertsAsync(script));
        var events = await app.EventsAsync();

        Assert.Equal(("checkout", "down", "open"), (raised.Monitor, raised.Kind, raised.State));
        Assert.Equal(events.Single(e => e.To == "down").Id, raised.RaisedSeq);
        Assert.StartsWith("1 consecutive failure: HTTP 503", raised.Reason);
        Assert.Equal(("acknowledged", "admin (token ci)", "on it"), (acknowledged.State, acknowledged.AcknowledgedBy, acknowledged.Note));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(("resolved", acknowledged.AcknowledgedAt), (resolved.State, resolved.AcknowledgedAt));
        Assert.Equal(events.Last(e => e.To == "up").Id, resolved.ResolvedSeq);
        Assert.Empty(await AlertsAsync(script, "open"));
        // The acknowledgement is in the log (it has a seq) but never on the public stream.
        Assert.Equal(["unknown→up", "up→down", "down→up"], events.Select(e => $"{e.From}→{e.To}"));
        Assert.True(resolved.ResolvedSeq > raised.RaisedSeq + 1, "the acknowledgement took a seq between raise and resolve");
    }

    [Fact]
    public async Task An_alert_open_before_a_restart_is_resolved_once_after_it()
    {
        var data = TestPaths.NewTempDirectory();
        var monitors = new[] { UptimeWatchApp.Monitor("Mail", _target.Url("/health"), failureThreshold: 1) };
        _target.Healthy = false;
        long raisedId;
        await using (var first = new UptimeWatchApp(data, monitors))
        {
            using var console = await first.SignedInAsync();
            await WaitForAsync(console, "mail", "down");
            raisedId = Assert.Single(await AlertsAsync(console, "open")).Id;
        }

        _target.Healthy = true;
        await using var second = new UptimeWatchApp(data, monitors);
        using var again = await second.SignedInAsync();
        await WaitForAsync(again, "mail", "up");
        var alerts = await AlertsAsync(again);

        var alert = Assert.Single(alerts);
        Assert.Equal((raisedId, "resolved"), (alert.Id, alert.State));
        Assert.Equal(["unknown→down", "down→up"], (await second.EventsAsync()).Select(e => $"{e.From}→{e.To}"));
    }

    [Fact]
    public async Task Acknowledging_an_alert_that_does_not_exist_is_404()
    {
        await using var app = AdminTesting.NewApp();
        using var script = await ScriptAsync(app);

        using var response = await script.PostAsync("/api/admin/alerts/999/ack", null);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(("not_found", "No alert \"999\""), (problem["code"]!.GetValue<string>(), problem["detail"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Pausing_stops_checks_and_resolves_the_open_alert_and_resuming_judges_afresh()
    {
        await using var app = AdminTesting.NewApp();
        using var script = await ScriptAsync(app);
        // Unhealthy before the first check: set after, a first check could already have found it up.
        _target.Healthy = false;
        (await script.PostAsJsonAsync("/api/admin/monitors", Fast("Legacy"))).EnsureSuccessStatusCode();
        await WaitForAsync(script, "legacy", "down");

        using var pause = await script.PostAsync("/api/admin/monitors/legacy/pause", null);
        var paused = (await pause.Content.ReadFromJsonAsync<MonitorDto>())!;
        var alert = (await Eventually.Until(() => AlertsAsync(script), a => a.Count == 1 && a[0].State == "resolved", TimeSpan.FromSeconds(10)))[0];
        var checksWhenPaused = (await app.ChecksAsync("legacy", 1000)).Count;
        // That a paused monitor is not checked cannot be waited for: wait instead until a witness on the same 1 s
        // interval has three checks (three of legacy's slots have come and gone), then count legacy's.
        (await script.PostAsJsonAsync("/api/admin/monitors", Fast("Witness", "/ok"))).EnsureSuccessStatusCode();
        await Eventually.Until(() => app.ChecksAsync("witness"), c => c.Count >= 3, TimeSpan.FromSeconds(30), "three checks of the witness");
        var checksLater = (await app.ChecksAsync("legacy", 1000)).Count;
        _target.Healthy = true;
        using var resume = await script.PostAsync("/api/admin/monitors/legacy/resume", null);
        await WaitForAsync(script, "legacy", "up");
        var events = (await app.EventsAsync()).Where(e => e.Monitor == "legacy").ToList();

        Assert.Equal("paused", paused.Status);
        Assert.Equal(checksWhenPaused, checksLater);
        Assert.Equal(events.Single(e => e.To == "paused").Id, alert.ResolvedSeq);
        Assert.Equal(["unknown→down", "down→paused", "paused→unknown", "unknown→up"], events.Select(e => $"{e.From}→{e.To}"));
        // Who paused it is for the admin side; the public sees only that it is paused.
        Assert.Equal("paused by admin (token ci)", await app.AdminReasonAsync(events[1]));
        Assert.Equal(("paused", "paused"), (events[1].Category, events[1].Reason));
    }

    [Fact]
    public async Task A_resumed_push_monitor_gives_its_sender_a_whole_period_before_it_counts_as_down()
    {
        var clock = EndToEnd.PushTesting.NewClock();
        await using var app = EndToEnd.PushTesting.OnClock(TestPaths.NewTempDirectory(), clock);
        using var script = await ScriptAsync(app);
        (await script.PostAsJsonAsync("/api/admin/monitors",
            new { Name = "Nightly job", Type = "push", IntervalSeconds = 2, GraceSeconds = 1, FailureThreshold = 1 })).EnsureSuccessStatusCode();
        var pushUrl = (await MonitorAsync(script, "nightly-job")).PushUrl!;
        (await script.GetAsync(pushUrl)).EnsureSuccessStatusCode();
        await WaitForAsync(script, "nightly-job", "up");

        (await script.PostAsync("/api/admin/monitors/nightly-job/pause", null)).EnsureSuccessStatusCode();
        using var refused = await script.GetAsync(pushUrl);
        // Longer than interval + grace without a heartbeat (they are refused while paused).
        clock.Advance(TimeSpan.FromSeconds(4));
        (await script.PostAsync("/api/admin/monitors/nightly-job/resume", null)).EnsureSuccessStatusCode();
        // Just short of a whole period after the resume (and long past one after the last heartbeat): nothing overdue yet.
        clock.Advance(TimeSpan.FromMilliseconds(2900));
        using var look = await script.PostAsync("/api/admin/monitors/nightly-job/check", null);
        var early = (await look.Content.ReadFromJsonAsync<JsonObject>())!;
        (await script.GetAsync(pushUrl)).EnsureSuccessStatusCode();
        await WaitForAsync(script, "nightly-job", "up");
        var events = await app.EventsAsync();

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal((false, "unknown"), (early["recorded"]!.GetValue<bool>(), early["status"]!.GetValue<string>()));
        Assert.Equal(["unknown→up", "up→paused", "paused→unknown", "unknown→up"], events.Select(e => $"{e.From}→{e.To}"));
    }

    [Fact]
    public async Task Check_now_runs_at_once_and_is_recorded()
    {
        await using var app = AdminTesting.NewApp();
        using var script = await ScriptAsync(app);
        // An hour apart: without "check now" nothing would be checked during this test (slots are spread by id).
        (await script.PostAsJsonAsync("/api/admin/monitors", new { Name = "Hourly", Url = _target.Url("/ok").ToString(), IntervalSeconds = 3600 }))
            .EnsureSuccessStatusCode();
        var before = (await app.ChecksAsync("hourly")).Count;

        using var response = await script.PostAsync("/api/admin/monitors/hourly/check", null);
        var result = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("up", 200, true, "up"), (result["outcome"]!.GetValue<string>(), result["httpStatus"]!.GetValue<int>(),
            result["recorded"]!.GetValue<bool>(), result["status"]!.GetValue<string>()));
        var checks = await Eventually.Until(() => app.ChecksAsync("hourly"), c => c.Count == before + 1, TimeSpan.FromSeconds(5));
        Assert.Equal("up", checks[0].Outcome);
    }

    [Fact]
    public async Task Check_now_answers_once_its_check_is_stored_even_while_routine_checks_wait_for_the_write_window()
    {
        await using var app = AdminTesting.NewApp(LongWriteWindow);
        using var script = await ScriptAsync(app);
        (await script.PostAsJsonAsync("/api/admin/monitors", new { Name = "Hourly", Url = _target.Url("/ok").ToString(), IntervalSeconds = 3600 }))
            .EnsureSuccessStatusCode();

        using var response = await script.PostAsync("/api/admin/monitors/hourly/check", null);
        var at = (await response.Content.ReadFromJsonAsync<JsonObject>())!["at"]!.GetValue<DateTimeOffset>();
        var checks = await app.ChecksAsync("hourly");
        var view = await MonitorAsync(script, "hourly");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(checks, c => c.At == at && c.Outcome == "up");
        Assert.Contains(view.Recent, c => c.At == at);
    }

    [Fact]
    public async Task The_console_never_shows_a_status_before_its_check_and_a_pause_is_stored_before_it_answers()
    {
        await using var app = AdminTesting.NewApp(LongWriteWindow);
        using var script = await ScriptAsync(app);
        (await script.PostAsJsonAsync("/api/admin/monitors", Fast("Shop"))).EnsureSuccessStatusCode();

        var up = await WaitForAsync(script, "shop", "up");
        using var pause = await script.PostAsync("/api/admin/monitors/shop/pause", null);
        var paused = (await pause.Content.ReadFromJsonAsync<MonitorDto>())!;
        var publicView = await app.StatusAsync();
        var events = await app.EventsAsync();

        // The status is the stored one, and the check that decided it is stored with it.
        Assert.Contains(up.Recent, c => c.Outcome == "up");
        Assert.Equal("paused", paused.Status);
        Assert.Equal("paused", Assert.Single(publicView.Monitors).Status);
        Assert.Equal("up→paused", $"{events[^1].From}→{events[^1].To}");
    }

    [Fact]
    public async Task A_deleted_monitor_is_archived_and_comes_back_with_its_history_when_created_again()
    {
        await using var app = AdminTesting.NewApp();
        using var script = await ScriptAsync(app);
        (await script.PostAsJsonAsync("/api/admin/monitors", Fast("Blog"))).EnsureSuccessStatusCode();
        await WaitForAsync(script, "blog", "up");
        var before = (await app.StoredChecksAsync("blog")).Select(c => (c.At, c.Outcome)).ToList();

        using var delete = await script.DeleteAsync("/api/admin/monitors/blog");
        using var gone = await script.GetAsync("/api/admin/monitors/blog");
        var afterDelete = await app.StatusAsync();
        (await script.PostAsJsonAsync("/api/admin/monitors", Fast("Blog"))).EnsureSuccessStatusCode();
        var back = await MonitorAsync(script, "blog");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.NotFound), (delete.StatusCode, gone.StatusCode));
        Assert.DoesNotContain(afterDelete.Monitors, m => m.Slug == "blog");
        Assert.NotEmpty(back.Recent);
        // The history that came back is the old one, not merely a first check of the new monitor.
        Assert.NotEmpty(before);
        var after = (await app.StoredChecksAsync("blog")).Select(c => (c.At, c.Outcome)).ToList();
        Assert.All(before, c => Assert.Contains(c, after));
    }

    [Fact]
    public async Task A_maintenance_window_puts_the_monitor_in_maintenance_and_its_bad_input_names_the_field()
    {
        await using var app = AdminTesting.NewApp();
        using var script = await ScriptAsync(app);
        (await script.PostAsJsonAsync("/api/admin/monitors", Fast("Db"))).EnsureSuccessStatusCode();
        await WaitForAsync(script, "db", "up");

        using var bad = await script.PostAsJsonAsync("/api/admin/monitors/db/maintenance", new { minutes = 0 });
        var problem = (await bad.Content.ReadFromJsonAsync<JsonObject>())!;
        using var created = await script.PostAsJsonAsync("/api/admin/monitors/db/maintenance", new { minutes = 30, reason = "upgrade" });
        var window = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        _target.Healthy = false;
        var inMaintenance = await WaitForAsync(script, "db", "maintenance");
        using var removed = await script.DeleteAsync($"/api/admin/maintenance/{window["id"]}");
        await WaitForAsync(script, "db", "down");

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("minutes \"0\" must be a whole number of minutes from 1 to 525600 (a year)", problem["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("upgrade", Assert.Single(inMaintenance.Maintenance).Reason);
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        // Down after maintenance ended: the alert is raised then, not during the window.
        Assert.Equal("down", Assert.Single(await AlertsAsync(script, "open")).Kind);
    }

    [Fact]
    public async Task The_write_api_is_in_the_openapi_document()
    {
        await using var app = AdminTesting.NewApp();
        using var client = app.CreateClient();

        var document = await client.GetStringAsync("/openapi/v1.json");

        foreach (var path in new[] { "/api/admin/monitors", "/api/admin/monitors/{slug}", "/api/admin/monitors/{slug}/pause", "/api/admin/alerts/{id}/ack", "/api/admin/export" })
        {
            Assert.Contains($"\"{path}\"", document);
        }
    }
}

internal sealed record MonitorsDto(List<MonitorDto> Monitors);
internal sealed record MonitorDto(string Slug, string Name, string? Group, string Type, string Target, string Source, string? ConfigFile, string Status, string? PushUrl,
    List<RecentDto> Recent, List<MaintenanceDto> Maintenance, JsonObject Definition);
internal sealed record AdminChecksDto(List<AdminCheckDto> Checks);
internal sealed record AdminCheckDto(DateTimeOffset At, string Outcome, int? Status, string? Error, string? Category, string? Location);
internal sealed record RecentDto(DateTimeOffset At, string Outcome, int? ResponseMs);
internal sealed record MaintenanceDto(long Id, DateTimeOffset Start, DateTimeOffset End, string? Reason);
internal sealed record AlertsDto(List<AlertDto> Alerts);
internal sealed record AlertDto(long Id, string Monitor, string Kind, long RaisedSeq, string Reason, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy,
    string? Note, long? ResolvedSeq, string State);
