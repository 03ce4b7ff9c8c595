using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using static UptimeWatch.IntegrationTests.Browser.BrowserPages;

namespace UptimeWatch.IntegrationTests.Browser;

/// <summary>
/// The admin console in a real Chromium against UptimeWatch on Kestrel (real SQLite file, real migrations), talking
/// over the real <c>/ws/admin</c> WebSocket, watching a local target site that the test can stop. Every assertion is
/// on what the admin sees; every wait is bounded.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AdminConsoleTests(ChromiumFixture chromium) : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private static readonly LocatorAssertionsToHaveTextOptions Soon = new() { Timeout = 15_000 };
    private static readonly LocatorAssertionsToBeVisibleOptions VisibleSoon = new() { Timeout = 15_000 };

    private readonly BrowserPages _pages = new(chromium);
    private TargetServer? _target;

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _pages.DisposeAsync();
        await StopTargetAsync();
    }

    [Fact]
    public async Task First_run_a_monitor_made_in_the_form_is_checked_live_goes_down_when_its_target_stops_and_its_alert_is_acknowledged()
    {
        await using var host = StatusPageHost.Start(new PageMonitor("From the file", Target.Url("/ok")));
        var page = await OpenAsync(host);

        await ChoosePasswordAsync(page, host);
        await SaveScreenshotAsync(page, "admin-console-1-signed-in.png");

        // A monitor of the config file: operations yes, definition changes no, and the page says why.
        var fromFile = Row(page, "From the file");
        await Expect(fromFile.Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        await Expect(fromFile.Locator(".source")).ToHaveTextAsync("config file");
        await Expect(fromFile.GetByRole(AriaRole.Button, new() { Name = "Edit", Exact = true })).ToBeDisabledAsync();
        await Expect(fromFile.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true })).ToBeDisabledAsync();
        await Expect(fromFile.Locator(".config-note")).ToContainTextAsync("Defined in");

        await FillNewMonitorAsync(page, "Checkout API", Target.Url("/health"), interval: "1",
            advanced: """{ "FailureThreshold": 1, "SuccessThreshold": 1 }""");
        await SaveScreenshotAsync(page, "admin-console-2-form.png");
        await SaveMonitorAsync(page);

        var checkout = Row(page, "Checkout API");
        await Expect(checkout.Locator(".source")).ToHaveTextAsync("console");
        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        await Expect(checkout.Locator(".response")).ToHaveTextAsync(new Regex(@"^\d+ ms$"), Soon);
        await Expect(checkout.Locator(".spark rect.up").First).ToBeVisibleAsync(VisibleSoon);

        // Its checks, live, in the log; and one on demand, answered inline.
        await checkout.GetByRole(AriaRole.Button, new() { Name = "Live checks" }).ClickAsync();
        await Expect(page.Locator("#log-title")).ToContainTextAsync("Checkout API");
        await Expect(page.Locator("#check-log .log-entry").Nth(1)).ToBeVisibleAsync(VisibleSoon);
        await checkout.GetByRole(AriaRole.Button, new() { Name = "Check now" }).ClickAsync();
        await Expect(checkout.Locator(".action-result")).ToHaveTextAsync(new Regex(@"^Checked now: Up · \d+ ms · HTTP 200"), Soon);
        await SaveScreenshotAsync(page, "admin-console-3-up.png");
        await MarkPageAsync(page);

        await StopTargetAsync();

        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Down", Soon);
        var alert = Alert(page, "Checkout API");
        await Expect(alert.Locator(".alert-state")).ToHaveTextAsync("Open", Soon);
        await Expect(alert.Locator(".alert-reason")).Not.ToBeEmptyAsync();
        await Expect(page.Locator("#check-log .log-entry").First.Locator(".state-text")).ToHaveTextAsync("Down", Soon);
        await SaveScreenshotAsync(page, "admin-console-4-alert.png");

        await alert.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();

        await Expect(alert.Locator(".alert-state")).ToHaveTextAsync("Acknowledged", Soon);
        await Expect(alert.Locator(".alert-handled")).ToContainTextAsync("Acknowledged");
        await Expect(alert.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" })).ToBeHiddenAsync();
        await Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        await AssertSamePageAsync(page);
        await SaveScreenshotAsync(page, "admin-console-5-acknowledged.png");
        await _pages.AssertCleanAsync(page);
    }

    [Fact]
    public async Task A_flapping_monitor_shows_unstable_beside_its_real_state_in_the_list()
    {
        await using var host = StatusPageHost.Start(new PageMonitor("Checkout API", Target.Url("/health")));
        var page = await OpenAsync(host);
        await ChoosePasswordAsync(page, host);
        var row = Row(page, "Checkout API");
        await Expect(row.Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        await Expect(row.Locator(".unstable")).ToBeHiddenAsync();

        // Every check sees the opposite of the one before (driven by the checks, not a clock).
        using var alternating = Target.Alternate();
        try
        {
            await Expect(row.Locator(".unstable")).ToBeVisibleAsync(new() { Timeout = 40_000 });
            await Expect(row.Locator(".unstable")).ToHaveTextAsync("Unstable");
            await Expect(row.Locator(".state-text")).ToHaveTextAsync(new Regex("^(Up|Down|Pending)$"));
            await SaveScreenshotAsync(page, "admin-console-unstable.png");
        }
        finally
        {
            alternating.Dispose();
        }
        await _pages.AssertCleanAsync(page);
    }

    [Fact]
    public async Task A_bad_interval_is_shown_next_to_its_field_and_an_unknown_field_above_the_buttons()
    {
        await using var host = StatusPageHost.Start();
        var page = await OpenAsync(host);
        await ChoosePasswordAsync(page, host);

        await FillNewMonitorAsync(page, "Website", Target.Url("/ok"), interval: "0", advanced: """{ "FailureTreshold": 1 }""");
        await SaveMonitorAsync(page);

        var intervalError = page.Locator("#e-IntervalSeconds");
        await Expect(intervalError).ToBeVisibleAsync(VisibleSoon);
        await Expect(intervalError).ToContainTextAsync("IntervalSeconds must be");
        await Expect(page.GetByLabel("Interval (seconds)")).ToHaveAttributeAsync("aria-invalid", "true");
        // A field without an input of its own: in the general error area, as the server named it.
        await Expect(page.Locator("#form-errors")).ToContainTextAsync("FailureTreshold");
        await Expect(page.Locator("#e-Name")).ToBeHiddenAsync();
        await SaveScreenshotAsync(page, "admin-console-validation.png");

        // Corrected, it saves and the form closes.
        await page.GetByLabel("Interval (seconds)").FillAsync("5");
        await page.GetByLabel("Advanced: other fields as JSON").FillAsync("""{ "FailureThreshold": 1 }""");
        await SaveMonitorAsync(page);
        await Expect(page.Locator("#editor")).ToBeHiddenAsync();
        await Expect(Row(page, "Website")).ToBeVisibleAsync();
        await _pages.AssertCleanAsync(page);
    }

    [Fact]
    public async Task A_monitor_named_like_markup_renders_as_literal_text_in_the_list_and_the_alert_feed()
    {
        const string name = "<img src=x onerror=window.__xss=1>";
        await using var host = StatusPageHost.Start();
        var page = await OpenAsync(host);
        await ChoosePasswordAsync(page, host);

        await FillNewMonitorAsync(page, name, Target.Url("/health"), interval: "1", advanced: """{ "FailureThreshold": 1 }""");
        await page.GetByLabel("Group").FillAsync("<script>window.__xss=2</script>");
        await SaveMonitorAsync(page);

        var row = Row(page, name);
        await Expect(row.Locator(".monitor-name")).ToHaveTextAsync(name);
        await Expect(row.Locator(".group")).ToHaveTextAsync("Group: <script>window.__xss=2</script>");
        await Expect(row.Locator(".state-text")).ToHaveTextAsync("Up", Soon);

        // The name comes back through the alert pushes too.
        await StopTargetAsync();
        var alert = Alert(page, name);
        await Expect(alert.Locator(".alert-state")).ToHaveTextAsync("Open", Soon);
        await Expect(alert.Locator(".alert-monitor")).ToHaveTextAsync(name);

        await Expect(page.Locator("main img")).ToHaveCountAsync(0);
        await Expect(page.Locator("main script")).ToHaveCountAsync(0);
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.__xss"));
        await SaveScreenshotAsync(page, "admin-console-xss.png");
        await _pages.AssertCleanAsync(page);
    }

    [Fact]
    public async Task Pause_maintenance_edit_export_tokens_and_a_password_change_all_work_from_the_page()
    {
        await using var host = StatusPageHost.Start();
        var page = await OpenAsync(host);
        await ChoosePasswordAsync(page, host);
        await FillNewMonitorAsync(page, "Website", Target.Url("/ok"), interval: "1", advanced: "");
        await page.GetByLabel("Group").FillAsync("Public site");
        await SaveMonitorAsync(page);
        var row = Row(page, "Website");
        await Expect(row.Locator(".state-text")).ToHaveTextAsync("Up", Soon);

        await row.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(row.Locator(".state-text")).ToHaveTextAsync("Paused", Soon);
        await row.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Expect(row.Locator(".state-text")).ToHaveTextAsync("Up", Soon);

        await row.GetByLabel("Maintenance for").FillAsync("15");
        await row.GetByRole(AriaRole.Button, new() { Name = "Start maintenance" }).ClickAsync();
        await Expect(row.Locator(".windows li")).ToContainTextAsync("In maintenance until", new() { Timeout = 15_000 });
        await Expect(row.Locator(".state-text")).ToHaveTextAsync("Maintenance", Soon);
        await SaveScreenshotAsync(page, "admin-console-maintenance.png");
        await row.GetByRole(AriaRole.Button, new() { Name = "End now" }).ClickAsync();
        await Expect(row.Locator(".windows li")).ToHaveCountAsync(0);
        await Expect(row.Locator(".state-text")).ToHaveTextAsync("Up", Soon);

        // The form opens filled from the monitor's definition; renaming changes the slug and keeps one row.
        await row.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("Website");
        await Expect(page.GetByLabel("Interval (seconds)")).ToHaveValueAsync("1");
        await Expect(page.GetByLabel("Group")).ToHaveValueAsync("Public site");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Web site");
        await SaveMonitorAsync(page);
        await Expect(Row(page, "Web site")).ToBeVisibleAsync();
        await Expect(Row(page, "Website")).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "Export config" }).ClickAsync();
        await Expect(page.Locator("#export-text")).ToHaveValueAsync(new Regex("\"Name\": \"Web site\""));

        // An API token: shown once, works, and stops working when revoked.
        await page.GetByRole(AriaRole.Button, new() { Name = "Settings" }).ClickAsync();
        await page.GetByLabel("Token name").FillAsync("ci");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        await Expect(page.Locator("#token-secret")).ToHaveValueAsync(new Regex("^uw_"));
        using var http = new HttpClient { BaseAddress = host.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new("Bearer", await page.Locator("#token-secret").InputValueAsync());
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("api/admin/me")).StatusCode);
        await SaveScreenshotAsync(page, "admin-console-settings.png");
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke token ci" }).ClickAsync();
        await Expect(page.Locator("#token-list .token.revoked")).ToHaveCountAsync(1);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync("api/admin/me")).StatusCode);

        // Changing the password ends every other session; this console stays signed in and reconnects.
        await page.GetByLabel("Current password").FillAsync(Password);
        await page.GetByLabel("New password (at least").FillAsync(Password + " two");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(page.Locator("#password-form .form-done")).ToContainTextAsync("Password changed");
        await Expect(page.Locator("#connection")).ToHaveTextAsync("live", Soon);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeHiddenAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(Row(page, "Web site").Locator(".state-text")).ToHaveTextAsync("Paused", Soon);
        await _pages.AssertCleanAsync(page);
    }

    [Fact]
    public async Task After_a_dropped_connection_the_page_resumes_from_its_last_seq_and_shows_what_happened_meanwhile()
    {
        await using var host = StatusPageHost.Start();
        var sockets = new List<IWebSocketRoute>();
        var subscribes = new List<string>();
        var dropNext = 0;
        // Every socket of the page goes through here: the test can cut one, refuse the next, and read what is sent.
        var page = await OpenAsync(host, p => p.RouteWebSocketAsync("**/ws/admin", ws =>
        {
            lock (sockets)
            {
                if (dropNext > 0)
                {
                    dropNext--;
                    _ = ws.CloseAsync(new() { Code = 1011, Reason = "the test refuses this one" });
                    return;
                }
                sockets.Add(ws);
            }
            var server = ws.ConnectToServer();
            ws.OnMessage(frame =>
            {
                if (frame.Text is not { } text)
                {
                    server.Send(frame.Binary!);
                    return;
                }
                if (text.Contains("\"subscribe\"", StringComparison.Ordinal))
                {
                    lock (sockets)
                    {
                        subscribes.Add(text);
                    }
                }
                server.Send(text);
            });
        }));
        var checkout = await SignInWithCheckoutApiUpAsync(page, host);

        // The connection drops, the first attempt to reconnect fails, and meanwhile the target goes down.
        IWebSocketRoute current;
        lock (sockets)
        {
            dropNext = 1;
            current = sockets[^1];
        }
        await current.CloseAsync(new() { Code = 1001, Reason = "server restart" });
        await StopTargetAsync();
        await Expect(page.Locator("#connection")).ToHaveTextAsync("reconnecting");

        await Expect(page.Locator("#connection")).ToHaveTextAsync("live", Soon);
        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Down", Soon);
        await Expect(Alert(page, "Checkout API").Locator(".alert-state")).ToHaveTextAsync("Open", Soon);
        lock (sockets)
        {
            Assert.True(sockets.Count >= 2, "the page did not reconnect");
            Assert.Matches("^\\{\"type\":\"subscribe\",\"id\":\"[^\"]+\",\"payload\":\\{\\}\\}$", subscribes[0]);
            Assert.Matches("\"payload\":\\{\"after\":[1-9][0-9]*\\}", subscribes[^1]);
        }
        await AssertSamePageAsync(page);
        await SaveScreenshotAsync(page, "admin-console-resumed.png");
        await _pages.AssertCleanAsync(page);
    }

    [Fact]
    public async Task Config_file_monitors_name_their_file_and_a_rejected_edit_of_the_file_shows_a_banner_until_it_is_fixed()
    {
        var folder = TestPaths.NewTempDirectory("uw-config");
        var file = Path.Combine(folder, "uptimewatch.json");
        await File.WriteAllTextAsync(file, ConfigFile(Target.Url("/ok").ToString()));
        await using var host = StatusPageHost.Start(file);
        var page = await OpenAsync(host);
        await ChoosePasswordAsync(page, host);

        var fromFile = Row(page, "From the file");
        await Expect(fromFile.Locator(".config-note")).ToContainTextAsync($"Defined in {file}");
        await Expect(fromFile.GetByRole(AriaRole.Button, new() { Name = "Edit", Exact = true })).ToBeDisabledAsync();
        await Expect(page.Locator("#config-banner")).ToBeHiddenAsync();

        await File.WriteAllTextAsync(file, ConfigFile("ftp://127.0.0.1/"));

        var banner = page.Locator("#config-banner");
        await Expect(banner).ToBeVisibleAsync(VisibleSoon);
        await Expect(banner.Locator("#config-file")).ToContainTextAsync(file);
        await Expect(banner.Locator("#config-errors li").First).ToContainTextAsync("ftp://127.0.0.1/");
        await SaveScreenshotAsync(page, "admin-console-config-rejected.png");

        await File.WriteAllTextAsync(file, ConfigFile(Target.Url("/ok").ToString()));
        await Expect(banner).ToBeHiddenAsync(new() { Timeout = 15_000 });
        await _pages.AssertCleanAsync(page);
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Still watched for a moment; a leftover temp folder is harmless.
        }

        static string ConfigFile(string url) => $$"""
            { "UptimeWatch": { "Monitors": [ { "Name": "From the file", "Url": "{{url}}", "IntervalSeconds": 5 } ] } }
            """;
    }

    [Fact]
    public async Task While_writes_fail_on_a_full_disk_a_banner_says_so_also_after_a_reload_and_it_goes_when_space_returns()
    {
        await using var disk = await Tmpfs.MountAsync();
        await using var host = StatusPageHost.Start(null,
            new Dictionary<string, string?> { ["UptimeWatch:DataDirectory"] = disk.Path, ["UptimeWatch:Storage:UnhealthyAfterSeconds"] = "1" },
            new PageMonitor("Shop", Target.Url("/ok")));
        var page = await OpenAsync(host);
        await ChoosePasswordAsync(page, host);
        await Expect(Row(page, "Shop").Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        var banner = page.Locator("#storage-banner");
        await Expect(banner).ToBeHiddenAsync();

        await disk.FillAsync();

        await Expect(banner).ToBeVisibleAsync(VisibleSoon);
        await Expect(banner.Locator("#storage-text")).ToContainTextAsync("database or disk is full");
        await SaveScreenshotAsync(page, "admin-console-storage-failing.png");
        // A page opened during the outage asks at once.
        await page.ReloadAsync();
        await Expect(page.Locator("#connection")).ToHaveTextAsync("live", Soon);
        await Expect(page.Locator("#storage-banner")).ToBeVisibleAsync(VisibleSoon);

        disk.Free();
        await Expect(page.Locator("#storage-banner")).ToBeHiddenAsync(new() { Timeout = 15_000 });
        await _pages.AssertCleanAsync(page);
    }

    [Fact]
    public async Task When_the_server_cannot_resume_from_the_pages_seq_it_sends_reset_and_the_page_reloads_everything()
    {
        await using var host = StatusPageHost.Start();
        var sockets = new List<IWebSocketRoute>();
        var subscribes = new List<string>();
        var received = new List<string>();
        var claimFutureSeq = false;
        // Every socket goes through here: the test can cut one, and make the page's next subscribe ask for a seq
        // from the future (as after restoring an older database), which the server answers with reset.
        var page = await OpenAsync(host, p => p.RouteWebSocketAsync("**/ws/admin", ws =>
        {
            lock (sockets)
            {
                sockets.Add(ws);
            }
            var server = ws.ConnectToServer();
            ws.OnMessage(frame =>
            {
                var text = frame.Text!;
                lock (sockets)
                {
                    if (text.Contains("\"subscribe\"", StringComparison.Ordinal))
                    {
                        subscribes.Add(text);
                        if (claimFutureSeq)
                        {
                            claimFutureSeq = false;
                            text = Regex.Replace(text, "\"after\":\\d+", "\"after\":999999999");
                        }
                    }
                }
                server.Send(text);
            });
            server.OnMessage(frame =>
            {
                lock (sockets)
                {
                    received.Add(frame.Text!);
                }
                ws.Send(frame.Text!);
            });
        }));
        var checkout = await SignInWithCheckoutApiUpAsync(page, host);

        IWebSocketRoute current;
        lock (sockets)
        {
            claimFutureSeq = true;
            current = sockets[^1];
        }
        await StopTargetAsync();
        await current.CloseAsync(new() { Code = 1001, Reason = "server restart" });

        await Expect(page.Locator("#connection")).ToHaveTextAsync("live", Soon);
        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Down", Soon);
        await Expect(Alert(page, "Checkout API").Locator(".alert-state")).ToHaveTextAsync("Open", Soon);
        lock (sockets)
        {
            Assert.Contains(received, text => text.Contains("\"type\":\"reset\"", StringComparison.Ordinal));
        }

        // And it goes on: the next reconnect resumes from a seq the server has (the page never saw the rewritten one,
        // so this shows it is not lost after a reset, not which of the two the page chose).
        lock (sockets)
        {
            current = sockets[^1];
        }
        await current.CloseAsync(new() { Code = 1001, Reason = "server restart" });
        await Expect(page.Locator("#connection")).ToHaveTextAsync("reconnecting");
        await Expect(page.Locator("#connection")).ToHaveTextAsync("live", Soon);
        lock (sockets)
        {
            var after = long.Parse(Regex.Match(subscribes[^1], "\"after\":(\\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(after, 1, 1000);
        }
        await AssertSamePageAsync(page);
        await _pages.AssertCleanAsync(page);
    }

    [Fact]
    public async Task The_first_run_form_asks_for_the_setup_code_says_where_to_find_it_and_refuses_a_wrong_one()
    {
        await using var host = StatusPageHost.Start();
        var page = await OpenAsync(host);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Choose the admin password" })).ToBeVisibleAsync();

        // Where the owner finds it: the log line and the file in the data directory.
        var help = page.Locator("#setup-code-help");
        await Expect(help).ToContainTextAsync("First-run setup code:");
        await Expect(help).ToContainTextAsync("setup-code");
        await page.GetByLabel("Setup code").FillAsync("AAAA-BBBB-CCCC");
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync(Password);
        await page.GetByLabel("Repeat the password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set password and sign in" }).ClickAsync();
        await Expect(page.Locator("#setup-code-error")).ToHaveTextAsync("is not this start's setup code");
        await SaveScreenshotAsync(page, "admin-console-wrong-setup-code.png");

        await page.GetByLabel("Setup code").FillAsync(FirstRunSetup.ReadCode(host.DataDirectory)!);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set password and sign in" }).ClickAsync();
        await Expect(page.Locator("#connection")).ToHaveTextAsync("live", Soon);
        await _pages.AssertCleanAsync(page);
    }

    [Fact]
    public async Task Sign_in_shows_the_servers_error_for_a_wrong_password_and_signing_out_returns_to_the_form()
    {
        await using var host = StatusPageHost.Start();
        var first = await OpenAsync(host);
        await ChoosePasswordAsync(first, host);

        // Another browser: no cookie, an account exists, so the sign-in form.
        var page = await OpenAsync(host);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("not the password at all");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#login-form .form-error")).ToHaveTextAsync("Wrong user name or password");
        await SaveScreenshotAsync(page, "admin-console-wrong-password.png");

        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#connection")).ToHaveTextAsync("live", Soon);

        // A password change here ends the first browser's session: its socket is closed (1008) and it asks again.
        await page.GetByRole(AriaRole.Button, new() { Name = "Settings" }).ClickAsync();
        await page.GetByLabel("Current password").FillAsync(Password);
        await page.GetByLabel("New password (at least").FillAsync(Password + " two");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(first.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync(VisibleSoon);
        await Expect(first.Locator("#page-message")).ToContainTextAsync("Your session ended");
        await Expect(page.Locator("#connection")).ToHaveTextAsync("live", Soon);
        await SaveScreenshotAsync(first, "admin-console-session-ended.png");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await Expect(page.Locator("#page-message")).ToHaveTextAsync("Signed out.");
        // The cookie is gone: a reload asks again.
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await _pages.AssertCleanAsync(page);
        await _pages.AssertCleanAsync(first);
    }

    [Fact]
    public async Task Too_many_sign_in_attempts_show_the_servers_rate_limit_message()
    {
        await using var host = StatusPageHost.Start();
        await ChoosePasswordAsync(await OpenAsync(host), host);
        var page = await OpenAsync(host);
        var error = page.Locator("#login-form .form-error");

        for (var attempt = 1; attempt <= 12 && !(await error.TextContentAsync() ?? "").StartsWith("Too many", StringComparison.Ordinal); attempt++)
        {
            await page.GetByLabel("Password", new() { Exact = true }).FillAsync($"wrong password number {attempt}");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Expect(error).ToHaveTextAsync(new Regex("^(Wrong user name or password|Too many sign-in attempts.*)$"));
        }

        await Expect(error).ToHaveTextAsync(new Regex(@"^Too many sign-in attempts from this address: at most 10 a minute\. Try again in \d+ seconds\.$"));
        await SaveScreenshotAsync(page, "admin-console-rate-limited.png");
        await _pages.AssertCleanAsync(page);
    }

    [Fact]
    public async Task On_a_375_px_phone_the_console_has_no_horizontal_scroll()
    {
        await using var host = StatusPageHost.Start(new PageMonitor("A monitor with a rather long name that has to wrap on a narrow phone", Target.Url("/ok")));
        var page = await OpenAsync(host, p => p.SetViewportSizeAsync(375, 812));
        await ChoosePasswordAsync(page, host);
        await Expect(Row(page, "A monitor with a rather long name that has to wrap on a narrow phone").Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        await page.GetByRole(AriaRole.Button, new() { Name = "New monitor" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Settings" }).ClickAsync();
        // A new agent token: its long secret and settings, and its row in the list.
        await page.GetByLabel("Location", new() { Exact = true }).FillAsync("eu-west");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create agent token" }).ClickAsync();
        await Expect(page.Locator("#agent-list li")).ToHaveCountAsync(1);
        await Expect(page.GetByLabel("The agent's settings", new() { Exact = true })).ToHaveValueAsync(new Regex("UptimeWatch__Agent__Token=uw_agent_"));

        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        Assert.True(widths[0] <= widths[1], $"The console is {widths[0]} px wide in a {widths[1]} px viewport: it scrolls sideways.");
        await SaveScreenshotAsync(page, "admin-console-phone.png");
        await _pages.AssertCleanAsync(page);
    }

    private TargetServer Target => _target ?? throw new InvalidOperationException("The target was stopped");

    /// <summary>Stops the target site: its port refuses connections from now on.</summary>
    private async Task StopTargetAsync()
    {
        if (_target is { } target)
        {
            _target = null;
            await target.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_monitor_checked_from_three_locations_shows_each_locations_state_and_last_check_and_one_that_never_reported_as_offline()
    {
        var shop = new Dictionary<string, string?>
        {
            ["Name"] = "Shop", ["Url"] = Target.Url("/ok").ToString(), ["IntervalSeconds"] = "1", ["FailureThreshold"] = "1",
            ["Locations"] = "eu-west, us-east, ap-south",
        };
        await using var host = new UptimeWatchApp(TestPaths.NewTempDirectory("uw-browser"), [shop]);
        host.StartKestrel();
        var page = await OpenAsync(host);
        await ChoosePasswordAsync(page, host);
        // Agent tokens from the console's own session (the page's cookie), as an admin would make them.
        var cookie = string.Join("; ", (await page.Context.CookiesAsync()).Select(c => $"{c.Name}={c.Value}"));
        await using var euWest = await ReportingAgent.StartAsync(host, await AgentTokenAsync(host, cookie, "eu-west"), "eu-west");
        await using var usEast = await ReportingAgent.StartAsync(host, await AgentTokenAsync(host, cookie, "us-east"), "us-east", verdict: "down");

        var row = Row(page, "Shop");
        var locations = row.GetByRole(AriaRole.Table, new() { Name = "Locations" });
        await Expect(row.Locator(".monitor-head .state-text")).ToHaveTextAsync("Degraded", Soon);
        await Expect(locations.Locator("tr[data-location='eu-west'] .state-text")).ToHaveTextAsync("Up", Soon);
        await Expect(locations.Locator("tr[data-location='us-east'] .state-text")).ToHaveTextAsync("Down", Soon);
        await Expect(locations.Locator("tr[data-location='ap-south'] .location-offline")).ToHaveTextAsync("Offline", Soon);
        await Expect(locations.Locator("tr[data-location='eu-west'] time")).Not.ToBeEmptyAsync();
        await SaveScreenshotAsync(page, "admin-console-locations-degraded.png");

        usEast.Verdict = "up";

        await Expect(locations.Locator("tr[data-location='us-east'] .state-text")).ToHaveTextAsync("Up", Soon);
        await Expect(row.Locator(".monitor-head .state-text")).ToHaveTextAsync("Up", Soon);
        await _pages.AssertCleanAsync(page);
    }

    private static async Task<string> AgentTokenAsync(UptimeWatchApp host, string cookie, string location)
    {
        using var client = host.KestrelClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/agent-tokens") { Content = System.Net.Http.Json.JsonContent.Create(new { location }) };
        request.Headers.Add("Cookie", cookie);
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (string)(await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>(response.Content))!["secret"]!;
    }

    private Task<IPage> OpenAsync(UptimeWatchApp host, Func<IPage, Task>? beforeLoad = null) =>
        _pages.OpenAsync(new Uri(host.BaseUrl, "admin"), new() { Width = 1280, Height = 1000 }, beforeLoad: beforeLoad);

    /// <summary>The first-run form: the setup code from the data directory and the password, which signs in; the console connects.</summary>
    internal static async Task ChoosePasswordAsync(IPage page, UptimeWatchApp host)
    {
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Choose the admin password" })).ToBeVisibleAsync();
        await page.GetByLabel("Setup code").FillAsync(FirstRunSetup.ReadCode(host.DataDirectory)!);
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync(Password);
        await page.GetByLabel("Repeat the password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set password and sign in" }).ClickAsync();
        await Expect(page.Locator("#connection")).ToHaveTextAsync("live", Soon);
    }

    /// <summary>
    /// First run: chooses the password, adds "Checkout API" on the target (checked every second, down after one
    /// failure), waits until its row shows Up and marks the page; returns the row.
    /// </summary>
    private async Task<ILocator> SignInWithCheckoutApiUpAsync(IPage page, UptimeWatchApp host)
    {
        await ChoosePasswordAsync(page, host);
        await FillNewMonitorAsync(page, "Checkout API", Target.Url("/health"), interval: "1", advanced: """{ "FailureThreshold": 1 }""");
        await SaveMonitorAsync(page);
        var checkout = Row(page, "Checkout API");
        await Expect(checkout.Locator(".state-text")).ToHaveTextAsync("Up", Soon);
        await MarkPageAsync(page);
        return checkout;
    }

    private static async Task FillNewMonitorAsync(IPage page, string name, Uri url, string interval, string advanced)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "New monitor" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Type").SelectOptionAsync("http");
        await page.GetByLabel("URL", new() { Exact = true }).FillAsync(url.ToString());
        await page.GetByLabel("Interval (seconds)").FillAsync(interval);
        await page.GetByLabel("Advanced: other fields as JSON").FillAsync(advanced);
    }

    private static Task SaveMonitorAsync(IPage page) =>
        page.GetByRole(AriaRole.Button, new() { Name = "Save monitor" }).ClickAsync();

    /// <summary>A monitor's row, found the way a screen reader finds it: an article named after the monitor.</summary>
    private static ILocator Row(IPage page, string monitorName) =>
        page.GetByRole(AriaRole.Article, new() { Name = monitorName, Exact = true });

    private static ILocator Alert(IPage page, string monitorName) =>
        page.Locator("#alert-list .alert")
            .Filter(new() { Has = page.Locator(".alert-monitor", new() { HasTextRegex = new Regex($"^{Regex.Escape(monitorName)}$") }) });
}
