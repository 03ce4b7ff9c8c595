using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Hosting;
using UptimeWatch.Configuration;
using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Probing;

/// <summary>
/// The real TLS probe, wired as the host wires it, with the test CA trusted through
/// <c>Probing:CaCertificatesFile</c> as a user with an internal PKI would, against TLS servers on 127.0.0.1.
/// </summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class TlsProbeTests : IDisposable
{
    private readonly string _caFolder;
    private readonly ProbeHost _host;
    private readonly ProbeRunner _probe;

    public TlsProbeTests()
    {
        var caFile = TestCertificates.WriteCaPem();
        _caFolder = Path.GetDirectoryName(caFile)!;
        _host = ProbeHost.WithCaCertificatesFile(caFile);
        _probe = _host.Runner;
    }

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_caFolder, recursive: true);
    }

    private static MonitorDefinition Monitor(int port, int timeoutSeconds = 3) =>
        TestMonitors.Define(("Url", $"tls://127.0.0.1:{port}"), ("TimeoutSeconds", timeoutSeconds.ToString()));

    private async Task<ProbeResult> CheckAsync(X509Certificate2 certificate, ProbeRunner? probe = null)
    {
        await using var server = new TlsTestServer(certificate);
        return await (probe ?? _probe).CheckAsync(Monitor(server.Port), CancellationToken.None);
    }

    [Fact]
    public async Task A_valid_certificate_is_up_with_days_left_and_phase_timings()
    {
        var result = await CheckAsync(TestCertificates.Issue("127.0.0.1"));

        Assert.Equal(Verdict.Up, result.Verdict);
        Assert.Null(result.Error);
        Assert.Equal(89, result.CertificateDaysLeft); // Issued for 90 days from now: 89 whole days remain.
        Assert.NotNull(result.Timings?.ConnectMs);
        Assert.NotNull(result.Timings!.TlsMs);
        Assert.Null(result.Timings.DnsMs);
    }

    [Fact]
    public async Task A_certificate_expiring_in_five_days_is_degraded_with_the_days()
    {
        var certificate = TestCertificates.Issue("127.0.0.1", notAfter: DateTimeOffset.UtcNow.AddDays(5).AddHours(1));

        var result = await CheckAsync(certificate);

        Assert.Equal(Verdict.Degraded, result.Verdict);
        Assert.Equal(FailureKind.CertificateExpiring, result.Failure);
        Assert.Equal("the certificate expires in 5 days (warning below 14 days)", result.Error);
        Assert.Equal(5, result.CertificateDaysLeft);
    }

    [Fact]
    public async Task An_expired_certificate_is_down_with_its_expiry_date()
    {
        // Not TestCertificates.Expired: it starts its validity before the test CA's own, which cannot be issued.
        var certificate = TestCertificates.Issue("127.0.0.1", DateTimeOffset.UtcNow.AddDays(-20), DateTimeOffset.UtcNow.AddDays(-1));

        var result = await CheckAsync(certificate);

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal(FailureKind.TlsError, result.Failure);
        Assert.Equal($"the certificate expired on {certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}",
            result.Error);
        Assert.True(result.CertificateDaysLeft < 0);
    }

    [Fact]
    public Task A_self_signed_certificate_is_down() =>
        AssertTlsErrorAsync(TestCertificates.SelfSigned("127.0.0.1"), "the certificate is self-signed and not trusted");

    [Fact]
    public Task A_certificate_for_another_name_is_down_naming_both() =>
        AssertTlsErrorAsync(TestCertificates.Issue("example.test"), "the certificate is for example.test, not 127.0.0.1");

    private async Task AssertTlsErrorAsync(X509Certificate2 certificate, string error)
    {
        var result = await CheckAsync(certificate);

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal(FailureKind.TlsError, result.Failure);
        Assert.Equal(error, result.Error);
    }

    [Fact]
    public async Task A_certificate_from_a_CA_that_is_not_trusted_is_down_naming_the_CA()
    {
        using var host = ProbeHost.Create();

        var result = await CheckAsync(TestCertificates.Issue("127.0.0.1"), host.Runner);

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal("the certificate is issued by UptimeWatch Test CA, which is not trusted", result.Error);
    }

    [Fact]
    public Task A_closed_port_is_connection_refused() => ClosedPortProbe.AssertRefusedAsync(_probe, port => Monitor(port));

    [Fact]
    public async Task A_server_that_accepts_but_never_answers_the_handshake_is_a_timeout()
    {
        // The kernel accepts the connection into the backlog; nobody ever reads the ClientHello.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await _probe.CheckAsync(Monitor(port, timeoutSeconds: 1), CancellationToken.None);

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal(FailureKind.Timeout, result.Failure);
        Assert.Equal("connected, but no TLS handshake within 1 s", result.Error);
        Assert.InRange(result.ElapsedMs, 900, 3000);
    }

    [Fact]
    public async Task A_server_that_does_not_speak_TLS_is_a_failed_handshake()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            using var client = await listener.AcceptTcpClientAsync(timeout.Token);
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"), timeout.Token);
        });

        var result = await _probe.CheckAsync(Monitor(port), CancellationToken.None);
        await server;

        Assert.Equal(Verdict.Down, result.Verdict);
        Assert.Equal(FailureKind.TlsError, result.Failure);
        Assert.StartsWith($"TLS handshake with 127.0.0.1:{port} failed: ", result.Error);
    }
}
