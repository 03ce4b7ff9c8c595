using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using UptimeWatch.Configuration;
using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Probing;

/// <summary>
/// The probes wired exactly as the host wires them (<c>AddProbing</c>), optionally trusting extra CAs: the one way every
/// probe test gets its probes.
/// </summary>
internal sealed class ProbeHost : IDisposable
{
    private readonly IHost _host;

    private ProbeHost(IHost host) => _host = host;

    public ProbeRunner Runner => _host.Services.GetRequiredService<ProbeRunner>();

    /// <param name="extraRoots">What <c>Probing:CaCertificatesFile</c> would load; none by default.</param>
    public static ProbeHost Create(params X509Certificate2[] extraRoots) => Build(caCertificatesFile: null, extraRoots);

    /// <summary>The probes with <c>Probing:CaCertificatesFile</c> set, loading the file as the host does.</summary>
    public static ProbeHost WithCaCertificatesFile(string caCertificatesFile) => Build(caCertificatesFile, []);

    /// <summary>The probes with <c>Probing:SourceAddress</c> set.</summary>
    public static ProbeHost FromSource(System.Net.IPAddress source) => Build(null, [], source);

    private static ProbeHost Build(string? caCertificatesFile, X509Certificate2[] extraRoots, System.Net.IPAddress? source = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(TimeProvider.System);
        if (caCertificatesFile is not null)
        {
            builder.Services.Configure<UptimeWatchOptions>(o => o.Probing.CaCertificatesFile = caCertificatesFile);
        }
        if (source is not null)
        {
            builder.Services.Configure<UptimeWatchOptions>(o => o.Probing.SourceAddress = source);
        }
        builder.AddProbing();
        if (extraRoots.Length > 0)
        {
            // Registered last, so it is the one the probe's handlers get.
            builder.Services.AddSingleton(new CertificateCheck(TimeProvider.System, extraRoots));
        }
        return new ProbeHost(builder.Build());
    }

    /// <summary>A probe that trusts <see cref="TestCertificates.Ca"/>, as with <c>CaCertificatesFile</c> set.</summary>
    public static ProbeHost TrustingTestCa() => Create(TestCertificates.Ca);

    public Task<ProbeResult> CheckAsync(params (string Field, string? Value)[] fields) =>
        Runner.CheckAsync(TestMonitors.Define(fields), CancellationToken.None).AsTask();

    public void Dispose() => _host.Dispose();
}
