using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.Agents;

public sealed class AgentTokenTests
{
    [Fact]
    public async Task A_new_agent_token_shows_its_secret_once_with_its_location_and_the_list_never_does()
    {
        await using var app = AdminTesting.NewApp();
        using var client = await app.SignedInAsync();

        var token = await CreateAsync(client, " eu-west ");
        var listJson = await client.GetStringAsync("/api/admin/agent-tokens");
        var list = (await client.GetFromJsonAsync<TokensDto>("/api/admin/agent-tokens"))!;

        Assert.Matches("^uw_agent_[A-Za-z0-9_-]{32}$", token.Secret);
        Assert.Equal((token.Secret[..13], "eu-west"), (token.Prefix, token.Location));
        var listed = Assert.Single(list.Tokens);
        Assert.Equal((token.Id, "eu-west", token.Prefix, (DateTimeOffset?)null, (DateTimeOffset?)null, 0),
            (listed.Id, listed.Location, listed.Prefix, listed.LastUsedAt, listed.RevokedAt, listed.Connections));
        Assert.DoesNotContain(token.Secret, listJson);
        Assert.DoesNotContain("hash", listJson, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Tokens_of_one_location_share_it_whatever_the_case_it_is_typed_in()
    {
        await using var app = AdminTesting.NewApp();
        using var client = await app.SignedInAsync();

        var first = await CreateAsync(client, "us-east");
        var second = await CreateAsync(client, "US-East");
        var other = await CreateAsync(client, "office");

        Assert.Equal(("us-east", "us-east", "office"), (first.Location, second.Location, other.Location));
        Assert.NotEqual(first.Secret, second.Secret);
    }

    [Theory]
    [InlineData("")]
    [InlineData("eu west")]
    [InlineData("<script>")]
    [InlineData("a-name-that-is-longer-than-32-chars")]
    public async Task A_location_name_that_breaks_the_rule_is_400_naming_location_and_the_value(string location)
    {
        await using var app = AdminTesting.NewApp();
        using var client = await app.SignedInAsync();

        using var response = await client.PostAsJsonAsync("/api/admin/agent-tokens", new { location });
        var problem = await response.ProblemAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("letters, digits", problem.Fields!["location"]);
        Assert.Contains($"\"{location}\"", problem.Error);
        Assert.Empty((await client.GetFromJsonAsync<TokensDto>("/api/admin/agent-tokens"))!.Tokens);
    }

    [Fact]
    public async Task The_servers_own_location_cannot_have_an_agent()
    {
        await using var app = AdminTesting.NewApp(settings: new Dictionary<string, string?> { ["UptimeWatch:Location"] = "hq" });
        using var client = await app.SignedInAsync();

        using var response = await client.PostAsJsonAsync("/api/admin/agent-tokens", new { location = "HQ" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("this server's own location", (await response.ProblemAsync()).Fields!["location"]);
    }

    [Fact]
    public async Task An_agent_token_is_not_an_API_token()
    {
        await using var app = AdminTesting.NewApp();
        using var client = await app.SignedInAsync();
        var token = await CreateAsync(client, "eu-west");
        using var bearer = app.Browser();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Secret);

        using var response = await bearer.GetAsync("/api/admin/monitors");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Revoking_keeps_the_token_listed_with_its_time_twice_is_no_error_and_an_unknown_one_is_404()
    {
        await using var app = AdminTesting.NewApp();
        using var client = await app.SignedInAsync();
        var token = await CreateAsync(client, "eu-west");

        using var first = await client.DeleteAsync($"/api/admin/agent-tokens/{token.Id}");
        var revokedAt = Assert.Single((await client.GetFromJsonAsync<TokensDto>("/api/admin/agent-tokens"))!.Tokens).RevokedAt;
        using var again = await client.DeleteAsync($"/api/admin/agent-tokens/{token.Id}");
        using var unknown = await client.DeleteAsync("/api/admin/agent-tokens/999");

        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NoContent, HttpStatusCode.NotFound), (first.StatusCode, again.StatusCode, unknown.StatusCode));
        Assert.NotNull(revokedAt);
        Assert.Equal(revokedAt, Assert.Single((await client.GetFromJsonAsync<TokensDto>("/api/admin/agent-tokens"))!.Tokens).RevokedAt);
    }

    [Fact]
    public async Task An_API_token_cannot_create_agent_tokens_and_an_anonymous_caller_cannot_list_them()
    {
        await using var app = AdminTesting.NewApp();
        using var client = await app.SignedInAsync();
        using var created = await client.PostAsJsonAsync("/api/admin/tokens", new { name = "script" });
        var secret = (await created.Content.ReadFromJsonAsync<ApiTokenDto>())!.Secret;
        using var bearer = app.Browser();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);

        using var mint = await bearer.PostAsJsonAsync("/api/admin/agent-tokens", new { location = "eu-west" });
        using var anonymous = await app.Browser().GetAsync("/api/admin/agent-tokens");

        Assert.Equal(HttpStatusCode.Forbidden, mint.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    private static async Task<CreatedDto> CreateAsync(HttpClient client, string location)
    {
        using var created = await client.PostAsJsonAsync("/api/admin/agent-tokens", new { location });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<CreatedDto>())!;
    }

    private sealed record ApiTokenDto(string Secret);
    private sealed record CreatedDto(int Id, string Location, string Prefix, string Secret, DateTimeOffset CreatedAt);
    private sealed record TokenDto(int Id, string Location, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt,
        int Connections);
    private sealed record TokensDto(List<TokenDto> Tokens);
}
