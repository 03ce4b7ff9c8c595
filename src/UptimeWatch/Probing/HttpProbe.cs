using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

/// <summary>
/// HTTP(S) check: one request (plus up to <see cref="HttpCheck.MaxRedirects"/> redirects, followed by
/// hand so a loop is reported as a loop), under one overall deadline that covers connect, headers and body.
/// The body is read only when a keyword is set, and then at most <see cref="MaxBodyBytes"/>.
/// </summary>
internal sealed class HttpProbe(IHttpClientFactory clientFactory, TimeProvider time) : IProbe
{
    public MonitorType Type => MonitorType.Http;

    public const string ClientName = "probe";
    public const int MaxBodyBytes = 1 << 20;

    public async ValueTask<ProbeResult> CheckAsync(MonitorDefinition monitor, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(monitor.TimeoutSeconds), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var started = time.GetTimestamp();
        int Elapsed() => (int)Math.Round(time.GetElapsedTime(started).TotalMilliseconds);

        var check = monitor.Http!;
        var client = clientFactory.CreateClient(ClientName);
        var url = monitor.Url!;
        var method = new HttpMethod(check.Method);
        try
        {
            for (var redirects = 0; ; redirects++)
            {
                using var request = new HttpRequestMessage(method, url);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
                var status = (int)response.StatusCode;

                if (IsRedirect(status) && check.MaxRedirects > 0 && response.Headers.Location is { } location)
                {
                    var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                    if (redirects == check.MaxRedirects)
                    {
                        return ProbeResult.Failed(FailureKind.TooManyRedirects, Elapsed(),
                            $"more than {check.MaxRedirects} redirects (the last one, HTTP {status}, points to {next})", status);
                    }
                    if (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps)
                    {
                        return ProbeResult.Failed(FailureKind.BadRedirect, Elapsed(),
                            $"HTTP {status} redirects to \"{next}\", which is not an http(s) URL", status);
                    }
                    // Browsers turn these into GET; so does every client a user would compare us with.
                    if (status == 303 || (status is 301 or 302 && method == HttpMethod.Post))
                    {
                        method = method == HttpMethod.Head ? HttpMethod.Head : HttpMethod.Get;
                    }
                    url = next;
                    continue;
                }

                if (!check.ExpectedStatus.Contains(status))
                {
                    return ProbeResult.Failed(FailureKind.UnexpectedStatus, Elapsed(),
                        $"HTTP {status} {response.ReasonPhrase}, expected {check.ExpectedStatus}".Replace("  ", " "), status);
                }

                if (check.Keyword is { } keyword)
                {
                    var (body, truncated) = await ReadCappedAsync(response.Content, linked.Token);
                    if (!body.Contains(keyword, StringComparison.Ordinal))
                    {
                        return ProbeResult.Failed(FailureKind.KeywordMissing, Elapsed(), truncated
                            ? $"keyword \"{keyword}\" not found in the first {MaxBodyBytes / 1024} KiB of the body"
                            : $"keyword \"{keyword}\" not found in the body", status);
                    }
                }

                return ProbeResult.Ok(Elapsed(), status);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return ProbeResult.Failed(FailureKind.Timeout, Elapsed(),
                $"no complete response within {monitor.TimeoutSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        catch (HttpRequestException ex)
        {
            var (kind, message) = Classify(ex, url);
            return ProbeResult.Failed(kind, Elapsed(), message);
        }
        catch (IOException ex)
        {
            return ProbeResult.Failed(FailureKind.ConnectionFailed, Elapsed(),
                $"the connection broke while reading the response: {ex.Message}");
        }
    }

    private static bool IsRedirect(int status) => status is 301 or 302 or 303 or 307 or 308;

    private static async Task<(string Body, bool Truncated)> ReadCappedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxBodyBytes];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }
        var truncated = length == buffer.Length && await stream.ReadAsync(new byte[1], cancellationToken) > 0;
        return (EncodingOf(content).GetString(buffer, 0, length), truncated);
    }

    private static Encoding EncodingOf(HttpContent content)
    {
        var charset = content.Headers.ContentType?.CharSet?.Trim('"');
        if (!string.IsNullOrEmpty(charset))
        {
            try
            {
                return Encoding.GetEncoding(charset);
            }
            catch (ArgumentException)
            {
                // An unknown charset is the target's problem, not a reason to fail the keyword check.
            }
        }
        return Encoding.UTF8;
    }

    private static (FailureKind, string) Classify(HttpRequestException ex, Uri url)
    {
        var endpoint = $"{url.Host}:{url.Port.ToString(CultureInfo.InvariantCulture)}";
        var socket = FindInner<SocketException>(ex);
        switch (ex.HttpRequestError)
        {
            case HttpRequestError.NameResolutionError:
                return (FailureKind.DnsFailure, $"DNS lookup for {url.Host} failed: {socket?.Message ?? ex.Message}");
            case HttpRequestError.SecureConnectionError:
                return (FailureKind.TlsError, $"TLS handshake with {endpoint} failed: {(ex.InnerException ?? ex).Message}");
            case HttpRequestError.ResponseEnded:
                return (FailureKind.ProtocolError, "the server closed the connection before the response was complete");
            case HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError:
                return (FailureKind.ProtocolError, $"invalid HTTP response: {ex.Message}");
        }

        return socket?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => (FailureKind.ConnectionRefused, $"connection refused by {endpoint} (nothing is listening)"),
            SocketError.HostUnreachable or SocketError.NetworkUnreachable => (FailureKind.ConnectionFailed, $"{endpoint} is unreachable: {socket.Message}"),
            SocketError.ConnectionReset => (FailureKind.ConnectionFailed, $"connection to {endpoint} was reset"),
            SocketError.HostNotFound or SocketError.NoData => (FailureKind.DnsFailure, $"DNS lookup for {url.Host} failed: {socket.Message}"),
            not null => (FailureKind.ConnectionFailed, $"could not connect to {endpoint}: {socket.Message}"),
            null when FindInner<IOException>(ex) is { } io => (FailureKind.ConnectionFailed, $"the connection to {endpoint} broke: {io.Message}"),
            null => (FailureKind.ConnectionFailed, ex.Message),
        };
    }

    private static T? FindInner<T>(Exception ex) where T : Exception
    {
        for (var e = ex.InnerException; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }
        return null;
    }
}
