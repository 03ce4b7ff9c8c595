using System.Net;
using System.Text.RegularExpressions;

namespace UptimeWatch.Tests.Hosting;

/// <summary>
/// The status page and the admin console share one base stylesheet (wwwroot/shared/base.css): each page links it
/// before its own sheet and serves it under its own path, with its own headers.
/// </summary>
public sealed class PageFilesTests
{
    [Theory]
    [InlineData("/", "/status/base.css", "/status/status.css")]
    [InlineData("/admin", "/admin/base.css", "/admin/admin.css")]
    public async Task Each_page_links_the_shared_base_stylesheet_before_its_own_and_serves_it_revalidated_under_its_policy(
        string page, string baseSheet, string ownSheet)
    {
        await using var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), []);
        using var client = app.CreateClient();

        var html = await client.GetStringAsync(page);
        var baseLink = html.IndexOf($"<link rel=\"stylesheet\" href=\"{baseSheet}\">", StringComparison.Ordinal);
        var ownLink = html.IndexOf($"<link rel=\"stylesheet\" href=\"{ownSheet}\">", StringComparison.Ordinal);
        Assert.True(baseLink >= 0, $"{page} does not link {baseSheet}");
        Assert.True(ownLink > baseLink, $"{page} links {ownSheet} before {baseSheet}: its own rules would not win");

        using var response = await client.GetAsync(baseSheet);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/css", response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.CacheControl!.NoCache);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("frame-ancestors 'none'", string.Join("; ", response.Headers.GetValues("Content-Security-Policy")));
        var shipped = Path.Combine(TestPaths.RepositoryRoot, "src", "UptimeWatch", "wwwroot", "shared", "base.css");
        Assert.Equal(await File.ReadAllTextAsync(shipped), await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("status/status.css")]
    [InlineData("admin/admin.css")]
    public async Task A_pages_own_sheet_does_not_repeat_a_rule_of_the_base_stylesheet(string sheet)
    {
        // The base holds what both pages share; a rule copied back into a page's sheet would drift from it unseen.
        var wwwroot = Path.Combine(TestPaths.RepositoryRoot, "src", "UptimeWatch", "wwwroot");
        var baseRules = Rules(await File.ReadAllTextAsync(Path.Combine(wwwroot, "shared", "base.css")));
        var pageRules = Rules(await File.ReadAllTextAsync(Path.Combine(wwwroot, sheet)));

        Assert.Empty(pageRules.Intersect(baseRules));
    }

    /// <summary>Each declaration as "selector { property: value }", whitespace-normalised; comments and at-rule nesting ignored.</summary>
    private static HashSet<string> Rules(string css)
    {
        css = Regex.Replace(css, @"/\*.*?\*/", "", RegexOptions.Singleline);
        var rules = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match rule in Regex.Matches(css, @"([^{}]+)\{([^{}]*)\}"))
        {
            var selector = string.Join(' ', rule.Groups[1].Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            foreach (var declaration in rule.Groups[2].Value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                rules.Add($"{selector} {{ {string.Join(' ', declaration.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))} }}");
            }
        }
        return rules;
    }
}
