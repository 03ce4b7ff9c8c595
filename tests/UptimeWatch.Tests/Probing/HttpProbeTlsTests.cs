using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Probing;

/// <summary>
/// HTTPS targets on 127.0.0.1 (Kestrel) with good and broken certificates from <see cref="TestCertificates"/>.
/// The probe trusts the test CA as <c>Probing:CaCertificatesFile</c> would make it, unless a test says otherwise.
/// </summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class HttpProbeTlsTests : IDisposable
{
    private readonly ProbeHost _probe = ProbeHost.TrustingTestCa();

    public void Dispose() => _probe.Dispose();

    /// <summary>
    /// Issued by the test CA, expired yesterday. (<c>TestCertificates.Expired</c> starts its validity before the
    /// CA's own, which CertificateRequest refuses.)
    /// </summary>
    private static X509Certificate2 Expired() =>
        TestCertificates.Issue("127.0.0.1", DateTimeOffset.UtcNow.AddDays(-20), DateTimeOffset.UtcNow.AddDays(-1));

    private Task<ProbeResult> Check(Uri url, bool ignoreTlsErrors = false) =>
        _probe.CheckAsync(("Url", url.ToString()), ("IgnoreTlsErrors", ignoreTlsErrors ? "true" : null));

    [Fact]
    public async Task A_certificate_from_a_trusted_ca_is_accepted_and_its_days_left_reported()
    {
        await using var target = await HttpsTarget.StartAsync(TestCertificates.Issue("127.0.0.1"));

        var result = await Check(target.Url());

        Assert.Equal(Verdict.Up, result.Verdict);
        Assert.Null(result.Error);
        Assert.Equal(89, result.CertificateDaysLeft);
    }

    [Fact]
    public async Task An_expired_certificate_is_a_tls_error_with_the_expiry_date()
    {
        var certificate = Expired();
        await using var target = await HttpsTarget.StartAsync(certificate);

        var result = await Check(target.Url());

        Assert.Equal(FailureKind.TlsError, result.Failure);
        var expired = certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Equal($"TLS handshake with 127.0.0.1:{target.Port} failed: the certificate expired on {expired}", result.Error);
        Assert.True(result.CertificateDaysLeft < 0, $"days left: {result.CertificateDaysLeft}");
    }

    [Fact]
    public Task A_self_signed_certificate_is_a_tls_error() =>
        AssertHandshakeFailsAsync(TestCertificates.SelfSigned("127.0.0.1"), "the certificate is self-signed and not trusted");

    [Fact]
    public Task A_certificate_for_another_host_is_a_tls_error_naming_both() =>
        AssertHandshakeFailsAsync(TestCertificates.Issue("status.example.test"), "the certificate is for status.example.test, not 127.0.0.1");

    /// <summary>A target serving <paramref name="certificate"/> is a TLS error that says <paramref name="why"/>.</summary>
    private async Task AssertHandshakeFailsAsync(X509Certificate2 certificate, string why)
    {
        await using var target = await HttpsTarget.StartAsync(certificate);

        var result = await Check(target.Url());

        Assert.Equal(FailureKind.TlsError, result.Failure);
        Assert.Equal($"TLS handshake with 127.0.0.1:{target.Port} failed: {why}", result.Error);
    }

    [Fact]
    public async Task A_certificate_from_an_unknown_ca_is_a_tls_error_naming_the_issuer()
    {
        using var probe = ProbeHost.Create();
        await using var target = await HttpsTarget.StartAsync(TestCertificates.Issue("127.0.0.1"));

        var result = await probe.CheckAsync(("Url", target.Url().ToString()));

        Assert.Equal(FailureKind.TlsError, result.Failure);
        Assert.Equal($"TLS handshake with 127.0.0.1:{target.Port} failed: the certificate is issued by UptimeWatch Test CA, which is not trusted",
            result.Error);
    }

    [Fact]
    public async Task A_certificate_expiring_in_5_days_makes_the_monitor_degraded_with_the_days_in_the_reason()
    {
        var certificate = TestCertificates.Issue("127.0.0.1", notAfter: DateTimeOffset.UtcNow.AddDays(5).AddHours(1));
        await using var target = await HttpsTarget.StartAsync(certificate);

        var result = await Check(target.Url());

        Assert.Equal(Verdict.Degraded, result.Verdict);
        Assert.Equal(FailureKind.CertificateExpiring, result.Failure);
        Assert.Equal(5, result.CertificateDaysLeft);
        Assert.Equal("the certificate expires in 5 days (warning below 14 days)", result.Error);
    }

    [Fact]
    public async Task With_ignore_tls_errors_a_self_signed_certificate_is_up_and_still_reports_days_left()
    {
        await using var target = await HttpsTarget.StartAsync(TestCertificates.SelfSigned("127.0.0.1"));

        var result = await Check(target.Url(), ignoreTlsErrors: true);

        Assert.Equal(Verdict.Up, result.Verdict);
        Assert.Null(result.Error);
        Assert.Equal(89, result.CertificateDaysLeft);
    }

    [Fact]
    public async Task With_ignore_tls_errors_an_expired_certificate_is_still_reported_as_expired()
    {
        await using var target = await HttpsTarget.StartAsync(Expired());

        var result = await Check(target.Url(), ignoreTlsErrors: true);

        // The connection is allowed; the expiry warning (ProbeRunner) still tells the user.
        Assert.Equal(Verdict.Degraded, result.Verdict);
        Assert.Equal(FailureKind.CertificateExpiring, result.Failure);
        Assert.True(result.CertificateDaysLeft < 0, $"days left: {result.CertificateDaysLeft}");
    }

    [Fact]
    public async Task A_strict_check_never_rides_on_a_connection_an_insecure_check_accepted()
    {
        await using var target = await HttpsTarget.StartAsync(TestCertificates.SelfSigned("127.0.0.1"));

        var insecure = await Check(target.Url(), ignoreTlsErrors: true);
        var strict = await Check(target.Url());
        var insecureAgain = await Check(target.Url(), ignoreTlsErrors: true);

        Assert.Equal(Verdict.Up, insecure.Verdict);
        Assert.Equal(FailureKind.TlsError, strict.Failure);
        Assert.Equal(Verdict.Up, insecureAgain.Verdict);
    }
}
