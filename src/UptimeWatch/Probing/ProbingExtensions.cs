using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

internal static class ProbingExtensions
{
    /// <summary>
    /// Two HTTP clients: strict checks and <c>IgnoreTlsErrors</c> checks each have their own handler, so their
    /// connections can never mix. Redirects are followed by the probe itself.
    /// </summary>
    public static IHostApplicationBuilder AddProbing(this IHostApplicationBuilder builder)
    {
        AddProbeClient(builder, HttpProbe.ClientName, ignoreTlsErrors: false);
        AddProbeClient(builder, HttpProbe.InsecureClientName, ignoreTlsErrors: true);
        builder.Services.AddSingleton<IProbe, HttpProbe>();
        builder.Services.AddSingleton<IProbe, TcpProbe>();
        builder.Services.AddSingleton<IProbe, DnsProbe>();
        builder.Services.AddSingleton<IProbe, TlsProbe>();
        builder.Services.AddSingleton<IProbe, PushProbe>();
        builder.Services.AddSingleton<ProbeRunner>();
        builder.Services.AddSingleton<Canaries>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Canaries>());
        builder.Services.AddSingleton(services =>
            new ProbeSource(services.GetRequiredService<IOptions<UptimeWatchOptions>>().Value.Probing.SourceAddress));
        builder.Services.AddSingleton(services => new CertificateCheck(
            services.GetRequiredService<TimeProvider>(),
            CaCertificates.Load(services.GetRequiredService<IOptions<UptimeWatchOptions>>().Value.Probing.CaCertificatesFile)));
        return builder;
    }

    private static void AddProbeClient(IHostApplicationBuilder builder, string name, bool ignoreTlsErrors)
    {
        var version = typeof(ProbingExtensions).Assembly.GetName().Version?.ToString(3) ?? "0";
        builder.Services.AddHttpClient(name, client =>
            {
                // The probe owns the deadline; HttpClient's own 100 s default would only get in the way.
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.DefaultRequestHeaders.UserAgent.ParseAdd($"UptimeWatch/{version}");
            })
            .ConfigurePrimaryHttpMessageHandler(services => HttpProbeHandler.Create(ignoreTlsErrors,
                services.GetRequiredService<CertificateCheck>(), services.GetRequiredService<ProbeSource>()))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
    }
}
