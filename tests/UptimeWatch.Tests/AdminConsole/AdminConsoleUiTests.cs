using System.Net;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>The console's files: served without signing in (the page signs in itself), each under the strict policy.</summary>
public sealed class AdminConsoleUiTests
{
    [Theory]
    [InlineData("/admin")]
    [InlineData("/admin/")]
    [InlineData("/admin/index.html")]
    public async Task The_console_page_is_served_with_a_policy_that_allows_only_its_own_origin(string path)
    {
        await using var app = AdminTesting.NewApp();
        using var client = app.Browser();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var policy = string.Join("; ", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy);
        Assert.Contains("connect-src 'self'", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("<script type=\"module\" src=\"/admin/admin.js\"></script>", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/admin/admin.js", "text/javascript")]
    [InlineData("/admin/socket.js", "text/javascript")]
    [InlineData("/admin/admin.css", "text/css")]
    public async Task Its_scripts_and_styles_are_revalidated_on_every_load(string path, string type)
    {
        await using var app = AdminTesting.NewApp();
        using var client = app.Browser();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.CacheControl!.NoCache);
    }

    [Fact]
    public async Task No_script_of_the_console_writes_markup_from_strings()
    {
        // Names, reasons and errors reach the page as text only; the browser tests show it, this keeps it so.
        var folder = Path.Combine(TestPaths.RepositoryRoot, "src", "UptimeWatch", "wwwroot", "admin");
        foreach (var script in Directory.GetFiles(folder, "*.js"))
        {
            var text = await File.ReadAllTextAsync(script);
            foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function" })
            {
                Assert.False(text.Contains(sink, StringComparison.Ordinal), $"{Path.GetFileName(script)} uses {sink}");
            }
        }
    }
}
