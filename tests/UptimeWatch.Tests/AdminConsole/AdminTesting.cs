using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>An app with no monitors, and clients that keep their own cookies (one client = one browser).</summary>
internal static class AdminTesting
{
    public const string Password = "correct horse battery";

    /// <summary>
    /// Every POST/PUT/PATCH/DELETE under /api/admin in the app's own /openapi/v1.json, path parameters filled in (monitor
    /// "web", id 1, channel "ops"): tests that walk it cover a new endpoint without being told about it.
    /// </summary>
    public static async Task<List<(HttpMethod Method, string Path)>> WriteEndpointsAsync(HttpClient http)
    {
        var document = (await http.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!;
        var writes = new List<(HttpMethod, string)>();
        foreach (var (path, operations) in document["paths"]!.AsObject())
        {
            if (!path.StartsWith("/api/admin", StringComparison.Ordinal))
            {
                continue;
            }
            foreach (var (method, _) in operations!.AsObject())
            {
                if (method is "post" or "put" or "patch" or "delete")
                {
                    var concrete = path.Replace("{slug}", "web").Replace("{id}", "1").Replace("{name}", "ops");
                    Assert.DoesNotContain("{", concrete);
                    writes.Add((new HttpMethod(method.ToUpperInvariant()), concrete));
                }
            }
        }
        return writes;
    }

    public static UptimeWatchApp NewApp(Dictionary<string, string?>? settings = null) =>
        new(TestPaths.NewTempDirectory(), [], settings);

    public static HttpClient Browser(this UptimeWatchApp app, bool https = false) =>
        app.CreateClient(new WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri(https ? "https://localhost" : "http://localhost"),
            AllowAutoRedirect = false,
        });

    /// <summary>First-run setup with the code the app wrote to its data directory.</summary>
    public static Task<HttpResponseMessage> SetUpAsync(this HttpClient client, UptimeWatchApp app, string password = Password) =>
        client.PostAsJsonAsync("/api/admin/setup", FirstRunSetup.Request(app.DataDirectory, password));

    public static Task<HttpResponseMessage> LoginAsync(this HttpClient client, string password = Password) =>
        client.PostAsJsonAsync("/api/admin/login", new { password });

    /// <summary>A client signed in after first-run setup.</summary>
    public static async Task<HttpClient> SignedInAsync(this UptimeWatchApp app)
    {
        var client = app.Browser();
        using var setup = await client.SetUpAsync(app);
        if (setup.StatusCode == HttpStatusCode.Conflict)
        {
            using var login = await client.LoginAsync();
            login.EnsureSuccessStatusCode();
        }
        else
        {
            setup.EnsureSuccessStatusCode();
        }
        return client;
    }

    public static async Task<ProblemDto> ProblemAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<ProblemDto>())!;
}

internal sealed record ProblemDto(string Error, Dictionary<string, string>? Fields);
internal sealed record MeDto(string UserName, string AuthenticatedBy, string? TokenName);
