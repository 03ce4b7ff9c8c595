using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>
/// Cross-site request forgery against the admin write API over real Kestrel: a signed-in admin's cookie sent by a
/// page of another origin (a sibling subdomain is the same site, so SameSite=Strict lets it through). Every write
/// endpoint is taken from the app's own OpenAPI document, so a new one cannot escape the rule.
/// </summary>
public sealed class CrossOriginWriteTests
{
    private const string Evil = "https://evil.example.com";

    private static async Task<(UptimeWatchApp App, HttpClient Http, string Cookie)> StartSignedInAsync(Dictionary<string, string?>? settings = null)
    {
        var app = new UptimeWatchApp(TestPaths.NewTempDirectory(),
            [UptimeWatchApp.Monitor("web", new Uri("http://127.0.0.1:9/"))], settings);
        app.StartKestrel();
        var http = app.KestrelClient();
        using var setup = await http.PostAsJsonAsync("/api/admin/setup", FirstRunSetup.Request(app.DataDirectory, AdminTesting.Password));
        setup.EnsureSuccessStatusCode();
        return (app, http, Assert.Single(setup.Headers.GetValues("Set-Cookie")).Split(';')[0]);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string cookie, string? origin, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add("Cookie", cookie);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        return request;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private static async Task<string> StatusOfAsync(HttpClient http, string cookie)
    {
        using var request = Request(HttpMethod.Get, "/api/admin/monitors/web", cookie, null, null);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString()!;
    }

    [Fact]
    public async Task Every_write_endpoint_in_the_OpenAPI_document_refuses_the_cookie_from_another_origin_with_403_cross_origin()
    {
        var (app, http, cookie) = await StartSignedInAsync();
        await using var _ = app;
        using var __ = http;
        var writes = await AdminTesting.WriteEndpointsAsync(http);
        // The document is the app's own: the pause from the issue and the sign-in endpoints are in it.
        Assert.Contains((HttpMethod.Post, "/api/admin/monitors/web/pause"), writes);
        Assert.Contains((HttpMethod.Post, "/api/admin/logout"), writes);
        Assert.True(writes.Count >= 15, $"only {writes.Count} write endpoints in /openapi/v1.json");

        var failures = new List<string>();
        foreach (var (method, path) in writes)
        {
            // What a page on blog.example.com can send without a preflight: text/plain.
            using var request = Request(method, path, cookie, Evil, new StringContent("{}", Encoding.UTF8, "text/plain"));
            using var response = await http.SendAsync(request);
            var code = response.StatusCode == HttpStatusCode.Forbidden ? (await ProblemAsync(response)).GetProperty("code").GetString() : null;
            if (response.StatusCode != HttpStatusCode.Forbidden || code != "cross_origin")
            {
                failures.Add($"{method} {path} answered {(int)response.StatusCode} {code}");
            }
        }

        Assert.Empty(failures);
        // Nothing happened: the monitor is not paused and the session (logout was in the list) still works.
        Assert.NotEqual("paused", await StatusOfAsync(http, cookie));
    }

    [Fact]
    public async Task Every_write_endpoint_refuses_a_cookie_request_whose_body_is_not_JSON_with_415_naming_the_content_type()
    {
        var (app, http, cookie) = await StartSignedInAsync();
        await using var _ = app;
        using var __ = http;

        var failures = new List<string>();
        foreach (var (method, path) in await AdminTesting.WriteEndpointsAsync(http))
        {
            // No Origin at all (a script with a copied cookie, or an old browser): the content type still must be JSON.
            using var request = Request(method, path, cookie, null, new StringContent("{}", Encoding.UTF8, "text/plain"));
            using var response = await http.SendAsync(request);
            var detail = response.StatusCode == HttpStatusCode.UnsupportedMediaType ? (await ProblemAsync(response)).GetProperty("detail").GetString() : null;
            if (detail is null || !detail.Contains("\"text/plain; charset=utf-8\"", StringComparison.Ordinal))
            {
                failures.Add($"{method} {path} answered {(int)response.StatusCode} {detail}");
            }
        }

        Assert.Empty(failures);
        Assert.NotEqual("paused", await StatusOfAsync(http, cookie));
    }

    [Fact]
    public async Task A_write_from_the_sites_own_origin_or_an_allowed_one_works()
    {
        var (app, http, cookie) = await StartSignedInAsync(new() { ["UptimeWatch:Admin:AllowedOrigins:0"] = "https://console.example.com" });
        await using var _ = app;
        using var __ = http;
        var own = http.BaseAddress!.GetLeftPart(UriPartial.Authority);

        using var pause = Request(HttpMethod.Post, "/api/admin/monitors/web/pause", cookie, own, null);
        using var paused = await http.SendAsync(pause);
        using var resume = Request(HttpMethod.Post, "/api/admin/monitors/web/resume", cookie, "https://console.example.com",
            JsonContent.Create(new { }));
        using var resumed = await http.SendAsync(resume);

        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        Assert.NotEqual("paused", await StatusOfAsync(http, cookie));
    }

    [Fact]
    public async Task A_bearer_token_write_with_another_origin_is_not_affected()
    {
        var (app, http, cookie) = await StartSignedInAsync();
        await using var _ = app;
        using var __ = http;
        using var create = Request(HttpMethod.Post, "/api/admin/tokens", cookie, null, JsonContent.Create(new { name = "ci" }));
        using var created = await http.SendAsync(create);
        var secret = (await created.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!.GetValue<string>();

        using var pause = new HttpRequestMessage(HttpMethod.Post, "/api/admin/monitors/web/pause")
        {
            Content = new StringContent("", Encoding.UTF8, "text/plain"),
        };
        pause.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        pause.Headers.Add("Origin", Evil);
        using var paused = await http.SendAsync(pause);

        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        Assert.Equal("paused", await StatusOfAsync(http, cookie));
    }
}
