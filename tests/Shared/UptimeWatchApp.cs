using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using UptimeWatch.Storage;
using UptimeWatch.Journal;

namespace UptimeWatch.Testing;

/// <summary>
/// UptimeWatch in-process through <see cref="WebApplicationFactory{TEntryPoint}"/>, with its own data folder
/// (a real SQLite file, real migrations) and only the settings the test gives: the shipped appsettings.json
/// is taken out so its sample monitors never leak into a test.
/// </summary>
internal sealed class UptimeWatchApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public UptimeWatchApp(string dataDirectory, IEnumerable<Dictionary<string, string?>> monitors, Dictionary<string, string?>? settings = null)
    {
        DataDirectory = dataDirectory;
        _settings = new Dictionary<string, string?>(settings ?? [])
        {
            ["UptimeWatch:DataDirectory"] = dataDirectory,
        };
        // Meter listeners are process-wide: in-process hosts of parallel tests would all feed each other's exporters.
        // Metrics are tested against the real binary, one process per test; here they are off unless a test asks.
        _settings.TryAdd("UptimeWatch:Metrics:Enabled", "false");
        TestStorage.Apply(dataDirectory, _settings);
        var index = 0;
        foreach (var monitor in monitors)
        {
            foreach (var (key, value) in monitor)
            {
                _settings[$"UptimeWatch:Monitors:{index}:{key}"] = value;
            }
            index++;
        }
    }

    public string DataDirectory { get; }

    /// <summary>Replaces services after the app registered its own (a fake clock, a collaborator that fails).</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    public string DatabasePath => Path.Combine(DataDirectory, "uptimewatch.db");

    /// <summary>A monitor definition with test-friendly timing: 1 s interval, 1 s timeout.</summary>
    public static Dictionary<string, string?> Monitor(string name, Uri url, int failureThreshold = 2, int successThreshold = 1,
        string? keyword = null, bool isPublic = true) => new()
    {
        ["Name"] = name,
        ["Url"] = url.ToString(),
        ["IntervalSeconds"] = "1",
        ["TimeoutSeconds"] = "1",
        ["FailureThreshold"] = failureThreshold.ToString(),
        ["SuccessThreshold"] = successThreshold.ToString(),
        ["Keyword"] = keyword,
        ["Public"] = isPublic ? "true" : "false",
    };

    protected override IHost CreateHost(IHostBuilder builder)
    {
        // A fresh data folder on SQLite gets the migrated file (SqliteTemplate); anything else starts as the test made it.
        var provider = _settings.GetValueOrDefault("UptimeWatch:Storage:Provider");
        if (ConfigFile is null && !_settings.ContainsKey("UptimeWatch:Storage:ConnectionString")
            && (provider is null || provider.Equals("Sqlite", StringComparison.OrdinalIgnoreCase)))
        {
            SqliteTemplate.CopyInto(DataDirectory);
        }
        return base.CreateHost(builder);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, configuration) =>
        {
            foreach (var json in configuration.Sources.OfType<JsonConfigurationSource>().ToList())
            {
                configuration.Sources.Remove(json);
            }
            if (ConfigFile is { } file)
            {
                configuration.AddJsonFile(file, optional: false, reloadOnChange: true);
            }
            configuration.AddInMemoryCollection(_settings);
        });
        if (TestServices is { } replace)
        {
            builder.ConfigureTestServices(replace);
        }
    }

    public async Task<StatusDto> StatusAsync()
    {
        using var client = CreateClient();
        return (await client.GetFromJsonAsync<StatusDto>("/api/status"))!;
    }

    public async Task<IReadOnlyList<EventDto>> EventsAsync(long after = 0)
    {
        using var client = CreateClient();
        return (await client.GetFromJsonAsync<EventsDto>($"/api/events?after={after}"))!.Events;
    }

    /// <summary>
    /// <paramref name="count"/> status changes of <paramref name="slug"/> written straight into the log, as if they had
    /// happened while nobody watched: alternating, the last one to <paramref name="lastTo"/>.
    /// </summary>
    public async Task AddPastStatusChangesAsync(string slug, int count, MonitorStatus lastTo)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<UptimeWatchDbContext>>().CreateDbContextAsync();
        var id = await db.Monitors.Where(m => m.Slug == slug).Select(m => m.Id).SingleAsync();
        for (var i = 0; i < count; i++)
        {
            var down = ((count - 1 - i) % 2 == 0) == (lastTo == MonitorStatus.Down);
            db.StatusEvents.Add(new StatusEvent
            {
                MonitorId = id, From = down ? MonitorStatus.Up : MonitorStatus.Down, To = down ? MonitorStatus.Down : MonitorStatus.Up,
                At = DateTimeOffset.UtcNow, Reason = $"past change {i}",
            });
            // One commit each: every change gets its own id, in order.
            await db.SaveChangesAsync();
        }
    }

    public async Task<IReadOnlyList<CheckDto>> ChecksAsync(string slug, int limit = 100)
    {
        using var client = CreateClient();
        return (await client.GetFromJsonAsync<ChecksDto>($"/api/monitors/{slug}/checks?limit={limit}"))!.Checks;
    }

    /// <summary>
    /// A monitor's newest checks as the admin REST API lists them, newest first (the order of <see cref="ChecksAsync"/>),
    /// with the probe's own words in <c>Error</c>: the public API shows only a category's short text.
    /// </summary>
    public async Task<IReadOnlyList<StoredCheck>> StoredChecksAsync(string slug, int limit = 100)
    {
        var client = await AdminClientAsync();
        return (await client.GetFromJsonAsync<StoredChecksDto>($"/api/admin/monitors/{slug}/checks?limit={limit}"))!.Checks;
    }

    /// <summary>
    /// Every alert as the admin REST API lists it, signed in as the owner: each carries the full reason of the status
    /// event that raised it (<c>RaisedSeq</c> is that event's id), which the public API shows only as a category.
    /// </summary>
    public async Task<IReadOnlyList<AdminAlertDto>> AdminAlertsAsync()
    {
        var client = await AdminClientAsync();
        return (await client.GetFromJsonAsync<AdminAlertsDto>("/api/admin/alerts?state=all"))!.Alerts;
    }

    private readonly SemaphoreSlim _adminGate = new(1, 1);
    private HttpClient? _admin;

    /// <summary>A client signed in as the owner (set up on first use), kept for the app's life: one sign-in, not one per read.</summary>
    private async Task<HttpClient> AdminClientAsync()
    {
        await _adminGate.WaitAsync();
        try
        {
            if (_admin is not null)
            {
                return _admin;
            }
            const string password = "correct horse battery";
            var client = CreateClient(); // Keeps the session cookie that setup or login sets.
            using var setup = await client.PostAsJsonAsync("/api/admin/setup", FirstRunSetup.Request(DataDirectory, password));
            if (setup.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                using var login = await client.PostAsJsonAsync("/api/admin/login", new { password });
                login.EnsureSuccessStatusCode();
            }
            else
            {
                setup.EnsureSuccessStatusCode();
            }
            return _admin = client;
        }
        finally
        {
            _adminGate.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _admin?.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>Waits until the monitor reports <paramref name="status"/> through the public API.</summary>
    public Task<StatusDto> WaitForStatusAsync(string slug, string status, TimeSpan? timeout = null) =>
        Eventually.Until(StatusAsync, s => s.Monitors.Any(m => m.Slug == slug && m.Status == status), timeout, $"{slug} to be {status}");

    /// <summary>A config file read as well (watched, reloaded on save), as the shipped appsettings.json would be.</summary>
    public string? ConfigFile { get; init; }

    private Uri? _baseUrl;

    /// <summary>Where real Kestrel listens, once <see cref="StartKestrel"/> has run (with a trailing slash).</summary>
    public Uri BaseUrl => _baseUrl ?? throw new InvalidOperationException("The app is not on Kestrel: call StartKestrel first");

    /// <summary>
    /// Starts the app on real Kestrel at 127.0.0.1, on a port the system picks as it binds (no free-port race), for what
    /// the test server cannot show: real sockets and client addresses, WebSocket pings, a browser. Returns the address
    /// Kestrel reports. Call before anything else touches the app (<c>Services</c>, <c>CreateClient</c>).
    /// </summary>
    public Uri StartKestrel()
    {
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return _baseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
    }

    /// <summary>A plain client of the Kestrel address: no cookies kept, each request a real connection from 127.0.0.1.</summary>
    public HttpClient KestrelClient() => new() { BaseAddress = BaseUrl };
}

internal sealed record StatusDto(string Overall, List<MonitorStatusDto> Monitors);
internal sealed record MonitorStatusDto(string Slug, string Name, string? Group, string Status, DateTimeOffset? LastCheckedAt, int? LastResponseMs, double? Uptime24h,
    bool Flapping = false);
internal sealed record EventsDto(List<EventDto> Events);
internal sealed record EventDto(long Id, string Monitor, string Name, string From, string To, DateTimeOffset At, string Reason, bool Flapping = false,
    string? Category = null);
internal sealed record AdminAlertsDto(List<AdminAlertDto> Alerts);
internal sealed record AdminAlertDto(long Id, string Monitor, long RaisedSeq, string Reason);
internal sealed record StoredChecksDto(List<StoredCheck> Checks);
internal sealed record StoredCheck(DateTimeOffset At, string Outcome, string? Error, string? Category = null);
internal sealed record ChecksDto(List<CheckDto> Checks);
internal sealed record CheckDto(DateTimeOffset At, string Outcome, int? Status, int? ResponseMs, string? Error, string? Category = null);
