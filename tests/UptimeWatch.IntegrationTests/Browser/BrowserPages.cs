using Microsoft.Playwright;

namespace UptimeWatch.IntegrationTests.Browser;

/// <summary>
/// The pages one browser test opens in the shared <see cref="ChromiumFixture"/>: each context records Content Security
/// Policy violations in the page, each page has bounded timeouts and records every dialog (dismissed) and uncaught
/// script error, so a test can assert that nothing ran or broke. Every context is closed when the test ends.
/// </summary>
internal sealed class BrowserPages(ChromiumFixture chromium) : IAsyncDisposable
{
    private const float Timeout = 15_000;

    private readonly List<IBrowserContext> _contexts = [];
    private readonly List<string> _dialogs = [];
    private readonly List<string> _scriptErrors = [];

    /// <summary>A new browser profile (no cookies); Playwright's default viewport unless one is given.</summary>
    public async Task<IBrowserContext> NewContextAsync(ViewportSize? viewport = null)
    {
        var context = await chromium.Browser.NewContextAsync(new() { ViewportSize = viewport });
        _contexts.Add(context);
        // Any Content Security Policy violation (a blocked WebSocket, script or style) is kept for AssertCleanAsync.
        await context.AddInitScriptAsync(
            "window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));");
        return context;
    }

    /// <summary>
    /// Opens <paramref name="url"/> in a new page of <paramref name="context"/> (or of a new context with
    /// <paramref name="viewport"/>), after <paramref name="beforeLoad"/>; the page must answer 200.
    /// </summary>
    public async Task<IPage> OpenAsync(Uri url, ViewportSize viewport, IBrowserContext? context = null, Func<IPage, Task>? beforeLoad = null)
    {
        context ??= await NewContextAsync(viewport);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        page.SetDefaultNavigationTimeout(Timeout);
        page.Dialog += (_, dialog) =>
        {
            lock (_dialogs)
            {
                _dialogs.Add(dialog.Message);
            }
            _ = dialog.DismissAsync();
        };
        page.PageError += (_, error) =>
        {
            lock (_scriptErrors)
            {
                _scriptErrors.Add(error);
            }
        };
        if (beforeLoad is not null)
        {
            await beforeLoad(page);
        }
        var response = await page.GotoAsync(url.ToString());
        Assert.Equal(200, response!.Status);
        return page;
    }

    /// <summary>No dialog opened and no script error in any page of this test.</summary>
    public void AssertNoScriptRan()
    {
        lock (_dialogs)
        {
            Assert.Empty(_dialogs);
        }
        lock (_scriptErrors)
        {
            Assert.Empty(_scriptErrors);
        }
    }

    /// <summary>As <see cref="AssertNoScriptRan"/>, and no Content Security Policy violation in <paramref name="page"/> (the WebSocket included).</summary>
    public async Task AssertCleanAsync(IPage page)
    {
        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__csp"));
        AssertNoScriptRan();
    }

    /// <summary>Leaves a mark in the page's JavaScript state; a reload or a navigation would wipe it.</summary>
    public static Task MarkPageAsync(IPage page) => page.EvaluateAsync("() => { window.__sameDocument = 'still here'; }");

    /// <summary>The mark of <see cref="MarkPageAsync"/> is still there: the page updated itself in place.</summary>
    public static async Task AssertSamePageAsync(IPage page) =>
        Assert.Equal("still here", await page.EvaluateAsync<string?>("() => window.__sameDocument ?? null"));

    /// <summary>Kept as a test artifact in TestResults/screenshots at the repository root (where ./test.sh collects results).</summary>
    public static async Task SaveScreenshotAsync(IPage page, string fileName)
    {
        var folder = Path.Combine(TestPaths.RepositoryRoot, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, fileName), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }
    }
}
