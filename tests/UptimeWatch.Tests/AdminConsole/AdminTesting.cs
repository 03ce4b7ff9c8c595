using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>An app with no monitors, and clients that keep their own cookies (one client = one browser).</summary>
internal static class AdminTesting
{
    public const string Password = "correct horse battery";

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
