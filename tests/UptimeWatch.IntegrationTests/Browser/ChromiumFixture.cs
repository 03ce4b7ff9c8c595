using Microsoft.Playwright;

namespace UptimeWatch.IntegrationTests.Browser;

/// <summary>
/// One headless Debian Chromium for the browser tests, driven by Playwright's bundled driver. No browser download:
/// the machine's own Chromium (<c>apt-get install chromium</c>, which ./test.sh does) is required.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"The browser tests need Chromium at {ExecutablePath}. Install it with " +
                "`apt-get install -y --no-install-recommends chromium`, or run ./test.sh, which does.");
        }
        _playwright = await Playwright.CreateAsync();
        string[] args = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
        if (Environment.UserName == "root")
        {
            // Chromium's sandbox refuses to run as root.
            args = [.. args, "--no-sandbox"];
        }
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = args,
            Timeout = 30_000,
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
    }
}

// Alone, never beside the other collections: measured faster end to end on 2 cores (docs/development.md).
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection : ICollectionFixture<ChromiumFixture>
{
    public const string Name = "Browser";
}
