using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Probing;

/// <summary>The phase breakdown of every HTTP(S) check: DNS, connect, TLS, first byte; the total is ElapsedMs.</summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class HttpProbeTimingTests : IAsyncLifetime
{
    private ProbedSite _site = null!;

    public async Task InitializeAsync() => _site = await ProbedSite.StartAsync(ProbeHost.TrustingTestCa);

    public async Task DisposeAsync() => await _site.DisposeAsync();

    /// <summary>
    /// An HTTPS target with slow phases: the handshake starts <paramref name="handshakeDelayMs"/> after the ClientHello,
    /// and the answer <paramref name="answer"/> picks for the request head is sent its delay after the request. Each
    /// delay starts only once the client has spoken, so it lands inside the client's phase however late either side's
    /// threads get to run.
    /// </summary>
    private static async Task ServeSlowTlsAsync(RawConnection connection, X509Certificate2 certificate, int handshakeDelayMs,
        Func<string, (string Answer, int DelayMs)> answer, CancellationToken ct)
    {
        await connection.Socket.ReceiveAsync(new byte[1], SocketFlags.Peek, ct);
        await Task.Delay(handshakeDelayMs, ct);
        await using var tls = new SslStream(new NetworkStream(connection.Socket, ownsSocket: false));
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, ct);
        var buffer = new byte[16 * 1024];
        var length = 0;
        while (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) < 0 && length < buffer.Length)
        {
            var read = await tls.ReadAsync(buffer.AsMemory(length), ct);
            if (read == 0)
            {
                return;
            }
            length += read;
        }
        var (text, delayMs) = answer(Encoding.ASCII.GetString(buffer, 0, length));
        await Task.Delay(delayMs, ct);
        await tls.WriteAsync(Encoding.ASCII.GetBytes(text), ct);
    }

    /// <summary>A check by host name that succeeded: DNS and connect phases, and TLS with the certificate's days only over https.</summary>
    private static void AssertByNameSucceeded(ProbeResult result, bool tls)
    {
        Assert.True(result.Success, result.Error);
        Assert.NotNull(result.Timings);
        Assert.NotNull(result.Timings.DnsMs);
        Assert.NotNull(result.Timings.ConnectMs);
        if (tls)
        {
            Assert.NotNull(result.Timings.TlsMs);
            Assert.NotNull(result.CertificateDaysLeft);
        }
        else
        {
            Assert.Null(result.Timings.TlsMs);
            Assert.Null(result.CertificateDaysLeft);
        }
        AssertConsistent(result);
    }

    private static void AssertConsistent(ProbeResult result)
    {
        var t = result.Timings!;
        Assert.All(new[] { t.DnsMs, t.ConnectMs, t.TlsMs, t.FirstByteMs }, ms => Assert.True(ms is null or >= 0, $"negative phase: {t}"));
        Assert.NotNull(t.FirstByteMs);
        Assert.InRange(t.FirstByteMs!.Value, 0, result.ElapsedMs);
    }

    [Fact]
    public async Task An_http_check_by_name_has_dns_connect_and_first_byte_but_no_tls()
    {
        var url = new Uri($"http://localhost:{_site.Target.BaseUrl.Port}/ok");

        var result = await _site.Probe.CheckAsync(("Url", url.ToString()));

        AssertByNameSucceeded(result, tls: false);
    }

    [Fact]
    public async Task An_http_check_by_ip_address_has_no_dns_phase()
    {
        var result = await _site.Probe.CheckAsync(("Url", _site.Target.Url("/ok").ToString()));

        Assert.NotNull(result.Timings);
        Assert.Null(result.Timings.DnsMs);
        Assert.NotNull(result.Timings.ConnectMs);
        AssertConsistent(result);
    }

    [Fact]
    public async Task An_https_check_has_every_phase()
    {
        await using var target = await HttpsTarget.StartAsync(TestCertificates.Issue("localhost"));

        var result = await _site.Probe.CheckAsync(("Url", target.Url(host: "localhost").ToString()));

        AssertByNameSucceeded(result, tls: true);
    }

    [Fact]
    public async Task Every_check_measures_every_phase_again()
    {
        await using var target = await HttpsTarget.StartAsync(TestCertificates.Issue("127.0.0.1"));

        var first = await _site.Probe.CheckAsync(("Url", target.Url().ToString()));
        var second = await _site.Probe.CheckAsync(("Url", target.Url().ToString()));

        Assert.NotNull(first.Timings?.TlsMs);
        Assert.NotNull(second.Timings?.ConnectMs);
        Assert.NotNull(second.Timings?.TlsMs);
    }

    [Fact]
    public async Task A_slow_handshake_and_a_slow_answer_show_up_in_their_own_phases()
    {
        var certificate = TestCertificates.Issue("127.0.0.1");
        await using var target = RawTarget.Start((c, ct) => ServeSlowTlsAsync(c, certificate, handshakeDelayMs: 400,
            _ => ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", 400), ct));

        var result = await _site.Probe.CheckAsync(("Url", target.Url(scheme: "https").ToString()));

        Assert.True(result.Success, result.Error);
        var t = result.Timings!;
        // Lower bounds only (a busy machine adds time anywhere): each delay must be counted in its own phase.
        Assert.InRange(t.TlsMs!.Value, 390, 10_000);
        Assert.InRange(t.FirstByteMs!.Value - t.ConnectMs!.Value - t.TlsMs.Value, 390, 10_000);
        AssertConsistent(result);
    }

    [Fact]
    public async Task Concurrent_checks_of_one_host_all_get_their_timings()
    {
        var checks = Enumerable.Range(0, 20).Select(_ => _site.Probe.CheckAsync(("Url", _site.Target.Url("/ok").ToString())));

        var results = await Task.WhenAll(checks);

        Assert.All(results, result =>
        {
            Assert.True(result.Success, result.Error);
            Assert.NotNull(result.Timings?.ConnectMs);
            AssertConsistent(result);
        });
    }

    [Fact]
    public async Task Redirect_hops_add_up_and_the_first_byte_is_that_of_the_final_answer()
    {
        // Three hops (/a -> /b -> /c), each on its own connection with a 300 ms handshake; the last answers 300 ms
        // after its request. Only summed TLS phases reach 900 ms, and only the final answer's first byte comes after
        // all three handshakes plus its own wait (a redirect's first byte comes right after its own handshake).
        var certificate = TestCertificates.Issue("127.0.0.1");
        await using var target = RawTarget.Start((c, ct) => ServeSlowTlsAsync(c, certificate, handshakeDelayMs: 300, request =>
            request.StartsWith("GET /a ", StringComparison.Ordinal) ? ("HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0)
            : request.StartsWith("GET /b ", StringComparison.Ordinal) ? ("HTTP/1.1 302 Found\r\nLocation: /c\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0)
            : ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", 300), ct), maxConnections: 8);

        var result = await _site.Probe.CheckAsync(("Url", target.Url("/a", scheme: "https").ToString()));

        Assert.True(result.Success, result.Error);
        var t = result.Timings!;
        // Lower bounds only (a busy machine adds time anywhere).
        Assert.InRange(t.TlsMs!.Value, 890, 60_000);
        Assert.InRange(t.FirstByteMs!.Value, 1190, 60_000);
        Assert.InRange(t.FirstByteMs.Value - t.ConnectMs!.Value - t.TlsMs.Value, 290, 60_000);
        AssertConsistent(result);
    }

    [Fact]
    public async Task A_refused_connection_keeps_its_clear_message()
    {
        using var closed = ClosedPort.Take();
        var port = closed.Port;

        var result = await _site.Probe.CheckAsync(("Url", $"http://localhost:{port}/"));

        Assert.Equal(FailureKind.ConnectionRefused, result.Failure);
        Assert.Equal($"connection refused by localhost:{port} (nothing is listening)", result.Error);
        Assert.NotNull(result.Timings?.DnsMs);
        Assert.Null(result.Timings?.ConnectMs);
    }
}
