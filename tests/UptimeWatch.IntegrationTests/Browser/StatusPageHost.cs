using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection;

namespace UptimeWatch.IntegrationTests.Browser;

/// <summary>
/// UptimeWatch on real Kestrel at 127.0.0.1 (a browser cannot reach TestServer), with its own data folder and
/// only the settings the test gives: the shipped appsettings.json and its sample monitors are taken out.
/// </summary>
internal sealed class StatusPageHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    private readonly string? _configFile;

    private StatusPageHost(Dictionary<string, string?> settings, string? configFile = null)
    {
        _settings = settings;
        _configFile = configFile;
    }

    public Uri BaseUrl { get; private set; } = null!;

    public string DataDirectory => _settings["UptimeWatch:DataDirectory"]!;

    /// <summary>Starts the app with these monitors, each checking every second and down after one failure.</summary>
    public static StatusPageHost Start(params PageMonitor[] monitors) => Start(null, monitors);

    /// <summary>As <see cref="Start(PageMonitor[])"/>, reading monitors from <paramref name="configFile"/> too (watched, reloaded on save).</summary>
    public static StatusPageHost Start(string? configFile, params PageMonitor[] monitors) => Start(configFile, null, monitors);

    /// <summary>As <see cref="Start(string, PageMonitor[])"/>, with more settings (they replace the ones set here).</summary>
    public static StatusPageHost Start(string? configFile, IReadOnlyDictionary<string, string?>? extra, params PageMonitor[] monitors)
    {
        var settings = new Dictionary<string, string?>
        {
            ["UptimeWatch:DataDirectory"] = TestPaths.NewTempDirectory("uw-browser"),
            ["UptimeWatch:StatusPage:Title"] = "Example Co. status",
            ["UptimeWatch:StatusPage:Description"] = "Live status of the services Example Co. runs.",
            ["UptimeWatch:StatusPage:Footer"] = "Questions? ops@example.com",
            // Meter listeners are process-wide; metrics are tested against the real binary.
            ["UptimeWatch:Metrics:Enabled"] = "false",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        for (var i = 0; i < monitors.Length; i++)
        {
            var prefix = $"UptimeWatch:Monitors:{i}:";
            settings[prefix + "Name"] = monitors[i].Name;
            settings[prefix + "Url"] = monitors[i].Url.ToString();
            settings[prefix + "Group"] = monitors[i].Group;
            settings[prefix + "IntervalSeconds"] = "1";
            settings[prefix + "TimeoutSeconds"] = "1";
            settings[prefix + "FailureThreshold"] = "1";
            settings[prefix + "SuccessThreshold"] = "1";
            settings[prefix + "Public"] = "true";
        }

        var host = new StatusPageHost(settings, configFile);
        host.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        host.StartServer();
        var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host.BaseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
        return host;
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
            if (_configFile is not null)
            {
                configuration.AddJsonFile(_configFile, optional: false, reloadOnChange: true);
            }
            configuration.AddInMemoryCollection(_settings);
        });
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; a leftover temp folder is harmless.
        }
    }
}

/// <summary>A public monitor on the page under test.</summary>
internal sealed record PageMonitor(string Name, Uri Url, string Group = "Services");
