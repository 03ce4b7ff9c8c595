using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace UptimeWatch.Tests.Probing;

/// <summary>
/// A TLS server on 127.0.0.1:&lt;free port&gt; that completes a handshake with the certificate it is given and
/// then waits for the client to hang up. Each connection is bounded in time, the whole server in connections.
/// </summary>
internal sealed class TlsTestServer : IAsyncDisposable
{
    private const int MaxConnections = 1_000;
    private static readonly TimeSpan PerConnection = TimeSpan.FromSeconds(5);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly X509Certificate2 _certificate;
    private readonly Task _loop;

    public TlsTestServer(X509Certificate2 certificate)
    {
        _certificate = certificate;
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        for (var i = 0; i < MaxConnections; i++)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException
                                          || (e is InvalidOperationException && _stop.IsCancellationRequested))
            {
                // Stopped; also when the stop came before this loop reached its first (or next) accept: "Not listening".
                break;
            }
            connections.Add(ServeAsync(client));
        }
        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(PerConnection);
        try
        {
            await using var tls = new SslStream(client.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, timeout.Token);
            // Until the probe closes the connection; whatever it might send is of no interest.
            while (await tls.ReadAsync(new byte[256], timeout.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or System.Security.Authentication.AuthenticationException)
        {
            // The probe hung up mid-handshake, or the test is over: nothing to serve.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
