using System.Net;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

internal static class ProbingExtensions
{
    /// <summary>One shared connection pool for every HTTP check; redirects are followed by the probe itself.</summary>
    public static IHostApplicationBuilder AddProbing(this IHostApplicationBuilder builder)
    {
        var version = typeof(ProbingExtensions).Assembly.GetName().Version?.ToString(3) ?? "0";
        builder.Services.AddHttpClient(HttpProbe.ClientName, client =>
            {
                // The probe owns the deadline; HttpClient's own 100 s default would only get in the way.
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.DefaultRequestHeaders.UserAgent.ParseAdd($"UptimeWatch/{version}");
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.All,
                UseCookies = false,
                // Picks up DNS changes of long-lived targets without closing warm connections on every check.
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
                ResponseDrainTimeout = TimeSpan.FromSeconds(1),
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        builder.Services.AddSingleton<IProbe, HttpProbe>();
        builder.Services.AddSingleton<IProbe, TcpProbe>();
        builder.Services.AddSingleton<IProbe, DnsProbe>();
        builder.Services.AddSingleton<IProbe, TlsProbe>();
        builder.Services.AddSingleton<IProbe, PushProbe>();
        builder.Services.AddSingleton<ProbeRunner>();
        builder.Services.AddSingleton(services => new CertificateCheck(
            services.GetRequiredService<TimeProvider>(),
            CertificateCheck.LoadRoots(services.GetRequiredService<IOptions<UptimeWatchOptions>>().Value.Probing.CaCertificatesFile)));
        return builder;
    }
}
