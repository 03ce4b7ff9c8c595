using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace UptimeWatch.Probing;

/// <summary>
/// Builds the connection handlers behind the probe's named HttpClients. Each check sends <c>Connection: close</c>,
/// so it opens a fresh connection like a first visitor, and these callbacks time every phase of it into the
/// <see cref="HttpProbeContext"/> of the request that started it:
/// <list type="bullet">
/// <item>DNS and TCP connect: <see cref="SocketsHttpHandler.ConnectCallback"/> resolves and connects itself.</item>
/// <item>TLS: the handler calls <see cref="SocketsHttpHandler.PlaintextStreamFilter"/> right after the handshake,
/// so the handshake is the time between the connect callback returning and the filter being called.</item>
/// <item>First byte: the filter wraps the plaintext stream in an <see cref="HttpTimingStream"/>.</item>
/// <item>Certificate: judged by <see cref="CertificateCheck"/> in the validation callback, which has no way to
/// reach the request (<c>SslStream.InnerStream</c> is protected), so a rejection travels as a
/// <see cref="HttpCertificateRejectedException"/> inside the handler's own exception, and the days left of an
/// accepted certificate are read by the plaintext filter from <see cref="SslStream.RemoteCertificate"/>.</item>
/// </list>
/// SocketsHttpHandler hands a new connection to the request that started it when that request still waits, which
/// with <c>Connection: close</c> is always, except when that request has already given up. A connection whose
/// check gave up before the handshake ended is thrown away (<see cref="HttpProbeContext.Ready"/>); only if the
/// check gives up in the instant between the filter and the hand-over could its connection serve another check
/// of the same host and handler, with the timings written to the abandoned check's context. That is accepted:
/// same target, and the other check still gets a correct verdict, only without timings.
/// Strict and insecure checks use two handlers, so two pools: a connection whose certificate was accepted despite
/// errors can never carry a strict check.
/// </summary>
internal static class HttpProbeHandler
{
    public static SocketsHttpHandler Create(bool ignoreTlsErrors, CertificateCheck certificates, ProbeSource source) => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.All,
        UseCookies = false,
        // Each check closes its connection, so nothing idles in the pool; these only bound the unexpected.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        ConnectCallback = (connection, cancellationToken) => ConnectAsync(connection, source, cancellationToken),
        PlaintextStreamFilter = (filterContext, _) =>
        {
            var stream = filterContext.PlaintextStream;
            if (Context(filterContext.InitialRequestMessage) is not { } context)
            {
                return ValueTask.FromResult(stream);
            }
            context.Ready(tls: stream is SslStream);
            if (stream is SslStream { RemoteCertificate: { } certificate })
            {
                context.CertificateDaysLeft = certificates.DaysLeft(certificate);
            }
            return ValueTask.FromResult<Stream>(new HttpTimingStream(stream, context));
        },
        SslOptions = new SslClientAuthenticationOptions
        {
            // IgnoreTlsErrors accepts any certificate; its days left are still reported (by the filter above).
            RemoteCertificateValidationCallback = ignoreTlsErrors
                ? static (_, _, _, _) => true
                : (sender, certificate, chain, errors) =>
                {
                    var problem = certificates.Problem(((SslStream)sender).TargetHostName, certificate, chain, errors);
                    // Thrown rather than returned: SslStream passes it on as the inner exception, with the words.
                    return problem is null
                        ? true
                        : throw new HttpCertificateRejectedException(problem, certificate is null ? null : certificates.DaysLeft(certificate));
                },
        },
    };

    private static HttpProbeContext? Context(HttpRequestMessage request) =>
        request.Options.TryGetValue(HttpProbeContext.Key, out var context) ? context : null;

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext connection, ProbeSource source,
        CancellationToken cancellationToken)
    {
        var context = Context(connection.InitialRequestMessage);
        var endpoint = connection.DnsEndPoint;
        var tls = connection.InitialRequestMessage.RequestUri?.Scheme == Uri.UriSchemeHttps;

        // The handler cancels an abandoned connection attempt only some seconds later; the check's own deadline
        // stops DNS and connect at once. (Safe here: a failed connect callback can never become a connection.)
        using var linked = context is null
            ? null
            : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, context.CancellationToken);
        var token = linked?.Token ?? cancellationToken;

        IPAddress[] addresses;
        if (IPAddress.TryParse(endpoint.Host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            var resolveStarted = context?.Time.GetTimestamp() ?? 0;
            addresses = await Dns.GetHostAddressesAsync(endpoint.Host, token);
            context?.Resolved(resolveStarted);
        }
        if (context is not null)
        {
            context.Phase = HttpPhase.Connecting;
        }

        var connectStarted = context?.Time.GetTimestamp() ?? 0;
        // Dual-mode socket, as SocketsHttpHandler's own: tries the addresses in the order the resolver gave them. From a
        // source address: a socket of its family, bound to it, for the addresses of that family.
        addresses = source.Reachable(endpoint.Host.Trim('[', ']'), addresses);
        var socket = source.Address is { } from
            ? source.NewSocket(from.AddressFamily)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        context?.Connected(connectStarted, tls, socket);
        return new NetworkStream(socket, ownsSocket: true);
    }
}
