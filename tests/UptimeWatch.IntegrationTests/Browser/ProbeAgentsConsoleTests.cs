using System.Net.WebSockets;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using static UptimeWatch.IntegrationTests.Browser.BrowserPages;

namespace UptimeWatch.IntegrationTests.Browser;

/// <summary>
/// Settings, Probe agents, in a real Chromium against UptimeWatch on Kestrel: an agent token made in the page signs a
/// real agent socket in, the list shows it in use, and revoking it in the page closes that socket with 1008.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ProbeAgentsConsoleTests(ChromiumFixture chromium) : IAsyncLifetime
{
    private static readonly LocatorAssertionsToHaveTextOptions Soon = new() { Timeout = 15_000 };
    private static readonly PageGetByLabelOptions Exact = new() { Exact = true };

    private readonly BrowserPages _pages = new(chromium);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _pages.DisposeAsync();

    [Fact]
    public async Task An_agent_token_made_in_the_page_signs_an_agent_in_and_revoking_it_there_closes_the_agents_socket_with_1008()
    {
        await using var host = StatusPageHost.Start();
        var page = await SignedInSettingsAsync(host);
        await Expect(page.Locator("#agent-empty")).ToBeVisibleAsync();

        await page.GetByLabel("Location", Exact).FillAsync("eu-west");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create agent token" }).ClickAsync();

        // The secret once, and the agent's settings around it, pointing at this server as the browser reaches it.
        var secret = page.GetByLabel("New agent token");
        await Expect(secret).ToHaveValueAsync(new Regex("^uw_agent_[A-Za-z0-9_-]{32}$"));
        var token = await secret.InputValueAsync();
        await Expect(page.GetByLabel("The agent's settings", Exact)).ToHaveValueAsync(
            $"UptimeWatch__Agent__Server={host.BaseUrl.GetLeftPart(UriPartial.Authority)}\n" +
            $"UptimeWatch__Agent__Location=eu-west\nUptimeWatch__Agent__Token={token}");
        var row = page.Locator("#agent-list li").Filter(new() { HasText = "eu-west" });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync($"{token[..13]}…");
        await Expect(row).ToContainTextAsync("never used");
        await Expect(row.Locator(".agent-state")).ToHaveTextAsync("Not connected");
        await SaveScreenshotAsync(page, "admin-console-agent-token-created.png");

        await using var agent = await AgentSocketClient.ConnectAsync(host, token, "eu-west");
        Assert.Equal("eu-west", (string?)(await agent.NextAsync("welcome"))["location"]);

        // Nothing pushes agent comings and goings: the open panel reads the list again on its own.
        await Expect(row.Locator(".agent-state")).ToHaveTextAsync("Connected", Soon);
        await Expect(row).ToContainTextAsync("last used");
        await Expect(row).Not.ToContainTextAsync("never used");
        await SaveScreenshotAsync(page, "admin-console-agent-connected.png");

        // The first click only asks, naming the location.
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke the agent token of eu-west" }).ClickAsync();
        await Expect(row.Locator(".action-result")).ToContainTextAsync("revoke this token of eu-west");
        await Expect(row.Locator(".agent-state")).ToHaveTextAsync("Connected");
        await row.GetByRole(AriaRole.Button, new() { Name = "Really revoke the agent token of eu-west?" }).ClickAsync();

        Assert.Equal((WebSocketCloseStatus.PolicyViolation, "the agent token was revoked"), await agent.ClosedAsync());
        await Expect(row.Locator(".agent-state")).ToHaveTextAsync("Revoked", Soon);
        await Expect(row).ToHaveClassAsync(new Regex(@"\brevoked\b"));
        await Expect(row).ToContainTextAsync(" · revoked ");
        await Expect(row.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
        await SaveScreenshotAsync(page, "admin-console-agent-revoked.png");
        await _pages.AssertCleanAsync(page);
    }

    [Fact]
    public async Task A_location_name_against_the_rule_shows_the_servers_error_naming_it_next_to_the_field_as_text()
    {
        await using var host = StatusPageHost.Start();
        var page = await SignedInSettingsAsync(host);
        var location = page.GetByLabel("Location", Exact);
        var error = page.Locator("#agent-error");

        await location.FillAsync("eu west");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create agent token" }).ClickAsync();

        await Expect(error).ToHaveTextAsync("Location \"eu west\" must be 1 to 32 letters, digits, '-', '_' or '.' (a name such as us-east or office)");
        await Expect(location).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(location).ToHaveAttributeAsync("aria-describedby", new Regex(@"\bagent-error\b"));
        await Expect(page.Locator("#agent-created")).ToBeHiddenAsync();
        await SaveScreenshotAsync(page, "admin-console-agent-bad-location.png");

        // What was typed comes back in the server's sentence, and stays text.
        const string markup = "<img src=x onerror=window.__xss=1>";
        await location.FillAsync(markup);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create agent token" }).ClickAsync();
        await Expect(error).ToContainTextAsync($"Location \"{markup}\" must be");
        await Expect(page.Locator("main img")).ToHaveCountAsync(0);
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.__xss"));
        await Expect(page.Locator("#agent-list li")).ToHaveCountAsync(0);

        await location.FillAsync("eu-west");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create agent token" }).ClickAsync();
        await Expect(page.GetByLabel("New agent token")).ToHaveValueAsync(new Regex("^uw_agent_"));
        await Expect(error).ToBeHiddenAsync();
        await Expect(location).Not.ToHaveAttributeAsync("aria-invalid", "true");
        await _pages.AssertCleanAsync(page);
    }

    /// <summary>A first-run console, signed in, with Settings open.</summary>
    private async Task<IPage> SignedInSettingsAsync(UptimeWatchApp host)
    {
        var page = await _pages.OpenAsync(new Uri(host.BaseUrl, "admin"), new() { Width = 1280, Height = 1000 });
        await AdminConsoleTests.ChoosePasswordAsync(page, host);
        await page.GetByRole(AriaRole.Button, new() { Name = "Settings" }).ClickAsync();
        return page;
    }
}
