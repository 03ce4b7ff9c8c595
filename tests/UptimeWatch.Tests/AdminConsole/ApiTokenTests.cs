using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace UptimeWatch.Tests.AdminConsole;

public sealed class ApiTokenTests
{
    private static HttpClient WithBearer(UptimeWatchApp app, string secret)
    {
        var client = app.Browser();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }

    [Fact]
    public async Task A_new_token_shows_its_secret_once_and_the_list_never_does()
    {
        await using var app = AdminTesting.NewApp();
        using var client = await app.SignedInAsync();

        using var created = await client.PostAsJsonAsync("/api/admin/tokens", new { name = "CI deploy" });
        var token = (await created.Content.ReadFromJsonAsync<CreatedDto>())!;
        var listJson = await client.GetStringAsync("/api/admin/tokens");
        var list = (await client.GetFromJsonAsync<TokensDto>("/api/admin/tokens"))!;

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Matches("^uw_[A-Za-z0-9_-]{32}$", token.Secret);
        Assert.Equal(token.Secret[..8], token.Prefix);
        var listed = Assert.Single(list.Tokens);
        Assert.Equal((token.Id, "CI deploy", token.Prefix, (DateTimeOffset?)null, (DateTimeOffset?)null),
            (listed.Id, listed.Name, listed.Prefix, listed.LastUsedAt, listed.RevokedAt));
        Assert.DoesNotContain(token.Secret, listJson);
        Assert.DoesNotContain("secret", listJson, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hash", listJson, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_bearer_token_is_accepted_and_its_use_recorded()
    {
        await using var session = await TokenSession.StartAsync("monitoring script");
        var (_, client, _, bearer) = session;

        var me = await bearer.GetFromJsonAsync<MeDto>("/api/admin/me");
        var listed = Assert.Single((await client.GetFromJsonAsync<TokensDto>("/api/admin/tokens"))!.Tokens);

        Assert.Equal(new MeDto("admin", "token", "monitoring script"), me);
        Assert.NotNull(listed.LastUsedAt);
    }

    [Fact]
    public async Task A_revoked_token_is_401()
    {
        await using var session = await TokenSession.StartAsync("old laptop");
        var (_, client, token, bearer) = session;
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/api/admin/me")).StatusCode);

        using var revoke = await client.DeleteAsync($"/api/admin/tokens/{token.Id}");
        using var after = await bearer.GetAsync("/api/admin/me");

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("Bearer", after.Headers.WwwAuthenticate.Single().Scheme);
        Assert.NotNull(Assert.Single((await client.GetFromJsonAsync<TokensDto>("/api/admin/tokens"))!.Tokens).RevokedAt);
    }

    [Theory]
    [InlineData("uw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("not-a-token")]
    public async Task An_unknown_or_malformed_token_is_401_JSON(string secret)
    {
        await using var app = AdminTesting.NewApp();
        (await app.SignedInAsync()).Dispose();
        using var bearer = WithBearer(app, secret);

        using var response = await bearer.GetAsync("/api/admin/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_token_cannot_create_tokens_and_an_anonymous_caller_cannot_list_them()
    {
        await using var session = await TokenSession.StartAsync("script");
        var (app, _, _, bearer) = session;

        using var mint = await bearer.PostAsJsonAsync("/api/admin/tokens", new { name = "more" });
        using var anonymous = await app.Browser().GetAsync("/api/admin/tokens");

        Assert.Equal(HttpStatusCode.Forbidden, mint.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task A_token_without_a_name_is_400_naming_name()
    {
        await using var app = AdminTesting.NewApp();
        using var client = await app.SignedInAsync();

        using var response = await client.PostAsJsonAsync("/api/admin/tokens", new { name = " " });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ProblemAsync()).Fields!.ContainsKey("name"));
    }

    private static async Task<CreatedDto> CreateAsync(HttpClient client, string name)
    {
        using var created = await client.PostAsJsonAsync("/api/admin/tokens", new { name });
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<CreatedDto>())!;
    }

    /// <summary>A new app, a console signed in to it, and a token the console created with a client that bears it.</summary>
    private sealed class TokenSession : IAsyncDisposable
    {
        private TokenSession(UptimeWatchApp app, HttpClient client, CreatedDto token) =>
            (App, Client, Token, Bearer) = (app, client, token, WithBearer(app, token.Secret));

        public UptimeWatchApp App { get; }
        public HttpClient Client { get; }
        public CreatedDto Token { get; }
        public HttpClient Bearer { get; }

        public static async Task<TokenSession> StartAsync(string tokenName)
        {
            var app = AdminTesting.NewApp();
            try
            {
                var client = await app.SignedInAsync();
                return new TokenSession(app, client, await CreateAsync(client, tokenName));
            }
            catch
            {
                await app.DisposeAsync();
                throw;
            }
        }

        public void Deconstruct(out UptimeWatchApp app, out HttpClient client, out CreatedDto token, out HttpClient bearer) =>
            (app, client, token, bearer) = (App, Client, Token, Bearer);

        public async ValueTask DisposeAsync()
        {
            Bearer.Dispose();
            Client.Dispose();
            await App.DisposeAsync();
        }
    }

    private sealed record CreatedDto(int Id, string Name, string Prefix, string Secret, DateTimeOffset CreatedAt);
    private sealed record TokenDto(int Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);
    private sealed record TokensDto(List<TokenDto> Tokens);
}
