using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using UptimeWatch.AdminConsole;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>
/// docs/admin-protocol.md, "Errors over REST": every refusal under /api/admin is RFC 7807 problem details, sign-in and
/// setup included, and keeps the names the console's pages already read (<c>error</c>, <c>fields</c>).
/// </summary>
public sealed class AdminProblemTests
{
    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static string? Text(JsonObject problem, string name) => problem[name]?.GetValue<string>();

    [Fact]
    public async Task A_wrong_password_is_a_problem_with_code_unauthorized_and_the_same_error_text()
    {
        await using var app = AdminTesting.NewApp();
        (await app.SignedInAsync()).Dispose();

        using var response = await app.Browser().LoginAsync("not the password at all");

        var problem = await ProblemAsync(response);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal((401, "unauthorized", "https://uptimewatch.dev/problems/unauthorized"),
            (problem["status"]!.GetValue<int>(), Text(problem, "code"), Text(problem, "type")));
        Assert.Equal(("Wrong user name or password", "Wrong user name or password"), (Text(problem, "detail"), Text(problem, "error")));
        Assert.False(string.IsNullOrEmpty(Text(problem, "title")));
    }

    [Fact]
    public async Task A_setup_without_its_code_is_a_problem_naming_setupCode_in_fields_and_errors()
    {
        await using var app = AdminTesting.NewApp();

        using var response = await app.Browser().PostAsJsonAsync("/api/admin/setup", new { password = AdminTesting.Password });

        var problem = await ProblemAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_request", Text(problem, "code"));
        Assert.StartsWith("setupCode is required", Text(problem, "detail"));
        Assert.Equal(Text(problem, "detail"), Text(problem, "error"));
        Assert.Equal("is required", problem["fields"]!["setupCode"]!.GetValue<string>());
        Assert.Equal("is required", problem["errors"]!["setupCode"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Not_signed_in_is_a_problem_too_not_a_redirect()
    {
        await using var app = AdminTesting.NewApp();

        using var response = await app.Browser().GetAsync("/api/admin/monitors");

        var problem = await ProblemAsync(response);
        Assert.Equal((HttpStatusCode.Unauthorized, "unauthorized"), (response.StatusCode, Text(problem, "code")));
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public void Every_command_the_protocol_lists_has_one_entry_in_the_command_table()
    {
        var doc = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "admin-protocol.md"));
        var documented = Regex.Matches(doc, @"^\| `([a-z]+\.[A-Za-z]+|subscribe|unsubscribe)` \|", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToHashSet();

        Assert.Equal(documented.Order(), AdminCommandTable.Names.Order());
        Assert.Equal(AdminCommandTable.All.Count, AdminCommandTable.All.Select(c => c.Request).Distinct().Count());
    }
}
