namespace UptimeWatch.IntegrationTests.Browser;

/// <summary>
/// The app for a browser: <see cref="UptimeWatchApp"/> on real Kestrel at 127.0.0.1 (a browser cannot reach the test
/// server), with a page title, description and footer, and public monitors that check every second.
/// </summary>
internal static class StatusPageHost
{
    /// <summary>Starts the app with these monitors, each checking every second and down after one failure.</summary>
    public static UptimeWatchApp Start(params PageMonitor[] monitors) => Start(null, monitors);

    /// <summary>As <see cref="Start(PageMonitor[])"/>, reading monitors from <paramref name="configFile"/> too (watched, reloaded on save).</summary>
    public static UptimeWatchApp Start(string? configFile, params PageMonitor[] monitors) => Start(configFile, null, monitors);

    /// <summary>As <see cref="Start(string, PageMonitor[])"/>, with more settings (they replace the ones set here).</summary>
    public static UptimeWatchApp Start(string? configFile, IReadOnlyDictionary<string, string?>? extra, params PageMonitor[] monitors)
    {
        var settings = new Dictionary<string, string?>
        {
            ["UptimeWatch:StatusPage:Title"] = "Example Co. status",
            ["UptimeWatch:StatusPage:Description"] = "Live status of the services Example Co. runs.",
            ["UptimeWatch:StatusPage:Footer"] = "Questions? ops@example.com",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var dataDirectory = settings.Remove("UptimeWatch:DataDirectory", out var given) && given is not null
            ? given
            : TestPaths.NewTempDirectory("uw-browser");
        var definitions = monitors.Select(m => new Dictionary<string, string?>
        {
            ["Name"] = m.Name,
            ["Url"] = m.Url.ToString(),
            ["Group"] = m.Group,
            ["IntervalSeconds"] = "1",
            ["TimeoutSeconds"] = "1",
            ["FailureThreshold"] = "1",
            ["SuccessThreshold"] = "1",
            ["Public"] = "true",
        });

        var app = new UptimeWatchApp(dataDirectory, definitions, settings) { ConfigFile = configFile };
        app.StartKestrel();
        return app;
    }
}

/// <summary>A public monitor on the page under test.</summary>
internal sealed record PageMonitor(string Name, Uri Url, string Group = "Services");
