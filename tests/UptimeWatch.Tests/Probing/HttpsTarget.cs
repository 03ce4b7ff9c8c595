using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace UptimeWatch.Tests.Probing;

/// <summary>A real Kestrel HTTPS site on 127.0.0.1 serving the given certificate (good or broken on purpose).</summary>
internal sealed class HttpsTarget : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HttpsTarget(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The site's URL under <paramref name="host"/> (127.0.0.1 by default; "localhost" resolves to it).</summary>
    public Uri Url(string path = "/", string host = "127.0.0.1") => new($"https://{host}:{Port}{path}");

    public static async Task<HttpsTarget> StartAsync(X509Certificate2 certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/", () => Results.Text("secure hello"));
        app.MapGet("/redirect", (string to) => Results.Redirect(to));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HttpsTarget(app, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
