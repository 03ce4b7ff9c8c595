using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

/// <summary>
/// HTTP(S) check: one request (plus up to <see cref="HttpCheck.MaxRedirects"/> redirects, followed by hand so a
/// loop is reported as a loop), under one overall deadline that covers DNS, connect, TLS, headers and body. Each
/// request goes out with <c>Connection: close</c> on a fresh connection, timed phase by phase (see
/// <see cref="HttpProbeHandler"/>). The body is read once, at most <see cref="MaxBodyBytes"/>, and only when an
/// assertion needs it (<see cref="HttpCheck.ReadsBody"/>).
/// <para>Redirects: credentials and every <see cref="SecretHeaders"/> header go only to the monitor's own origin;
/// a step from https down to http is refused unless <see cref="HttpCheck.AllowInsecureRedirects"/>.</para>
/// <para>Timings: DNS, connect and TLS are the time spent in each (summed over redirect hops; null when the phase
/// did not happen, e.g. no DNS for an IP address); FirstByteMs is from the start of the check to the first byte
/// of the final response, like curl's time_starttransfer, so it is at most ElapsedMs.</para>
/// </summary>
internal sealed class HttpProbe(IHttpClientFactory clientFactory, TimeProvider time) : IProbe
{
    public MonitorType Type => MonitorType.Http;

    public const string ClientName = "probe";

    /// <summary>For <c>IgnoreTlsErrors</c>: its own handler and pool, never shared with strict checks.</summary>
    public const string InsecureClientName = "probe-insecure";

    public const int MaxBodyBytes = 1 << 20;

    // Read into after a full buffer only to learn whether more follows; the bytes are thrown away, so sharing is fine.
    private static readonly byte[] Overflow = new byte[1];

    public async ValueTask<ProbeResult> CheckAsync(MonitorDefinition monitor, CancellationToken cancellationToken)
    {
        using var deadline = new ProbeDeadline(monitor.TimeoutSeconds, time, cancellationToken);
        var context = new HttpProbeContext(time, deadline.Token);

        var check = monitor.Http!;
        var client = clientFactory.CreateClient(check.IgnoreTlsErrors ? InsecureClientName : ClientName);
        var origin = monitor.Url!;
        var url = origin;
        var method = HttpMethod.Parse(check.Method);
        var sendBody = check.Body is not null;
        try
        {
            for (var redirects = 0; ; redirects++)
            {
                context.StartHop(resolves: url.HostNameType == UriHostNameType.Dns);
                using var request = CreateRequest(check, method, url, origin, sendBody, context);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
                var status = (int)response.StatusCode;

                if (IsRedirect(status) && check.MaxRedirects > 0 && response.Headers.Location is { } location)
                {
                    var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                    if (redirects == check.MaxRedirects)
                    {
                        return Down(context, FailureKind.TooManyRedirects,
                            $"more than {check.MaxRedirects} redirects (the last one, HTTP {status}, points to {next})", status);
                    }
                    if (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps)
                    {
                        return Down(context, FailureKind.BadRedirect, $"HTTP {status} redirects to \"{next}\", which is not an http(s) URL", status);
                    }
                    // A downgrade puts the request (and whatever the target put in the URL) on the wire in clear text.
                    // Only the scheme and host are named: the path or query of the new URL may carry a token.
                    if (url.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp && !check.AllowInsecureRedirects)
                    {
                        return Down(context, FailureKind.BadRedirect,
                            $"HTTP {status}: refused an insecure redirect from https to http (http://{next.Authority}/…); set AllowInsecureRedirects: true to follow it",
                            status);
                    }
                    // Browsers turn these into GET (without the body); so does every client a user would compare us with.
                    if (status == 303 || (status is 301 or 302 && method == HttpMethod.Post))
                    {
                        method = method == HttpMethod.Head ? HttpMethod.Head : HttpMethod.Get;
                        sendBody = false;
                    }
                    url = next;
                    continue;
                }

                if (!check.ExpectedStatus.Contains(status))
                {
                    return Down(context, FailureKind.UnexpectedStatus,
                        $"HTTP {status} {response.ReasonPhrase}, expected {check.ExpectedStatus}".Replace("  ", " "), status);
                }
                if (MissingHeader(check, response) is { } missing)
                {
                    return Down(context, FailureKind.HeaderMissing, missing, status);
                }
                if (check.ReadsBody)
                {
                    context.Phase = HttpPhase.ReadingBody;
                    if (await CheckBodyAsync(check, response.Content, deadline.Token) is { } failure)
                    {
                        return Down(context, failure.Kind, failure.Message, status);
                    }
                }
                return new ProbeResult(Verdict.Up, Elapsed(context), status, null, null)
                {
                    Timings = context.Timings(), CertificateDaysLeft = context.CertificateDaysLeft,
                };
            }
        }
        catch (Exception ex) when (deadline.Expired && ex is OperationCanceledException or HttpRequestException or IOException)
        {
            // The deadline struck: cancelling it can surface as the step's own failure (a TLS handshake cut short is an
            // HttpRequestException), but what happened is that the step did not finish in time.
            return Down(context, FailureKind.Timeout, TimeoutMessage(context, url, monitor.TimeoutSeconds));
        }
        catch (HttpRequestException ex)
        {
            if (ex.InnerException is HttpCertificateRejectedException { DaysLeft: { } daysLeft })
            {
                context.CertificateDaysLeft = daysLeft;
            }
            var (kind, message) = Classify(ex, url);
            return Down(context, kind, message);
        }
        catch (IOException ex)
        {
            // Only the body is read after the headers; a broken connection before that is an HttpRequestException.
            return Down(context, FailureKind.ConnectionFailed, FindInner<SocketException>(ex)?.SocketErrorCode == SocketError.ConnectionReset
                ? $"the connection to {Endpoint(url)} was reset while the body was being read"
                : ex is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }
                    ? "the server closed the connection before the body was complete"
                    : $"the connection broke while the body was being read: {ex.Message}");
        }
        catch (FormatException ex)
        {
            // A configured value the HTTP stack refuses to send (a line break or NUL in the bearer token).
            return Down(context, FailureKind.ProtocolError, $"the request could not be sent: {ex.Message}");
        }
        catch (InvalidDataException ex)
        {
            // Raised by the decompressing stream: the target said gzip/deflate/br and sent something else.
            return Down(context, FailureKind.ProtocolError, $"the body could not be decompressed: {ex.Message}");
        }
    }

    private HttpRequestMessage CreateRequest(HttpCheck check, HttpMethod method, Uri url, Uri origin, bool sendBody, HttpProbeContext context)
    {
        var request = new HttpRequestMessage(method, url);
        // Credentials go only where the user pointed them: a redirect to another origin (scheme, host or port) gets
        // no secret header, by the same rule that masks them in the admin API.
        var sameOrigin = url.Scheme == origin.Scheme && url.Port == origin.Port
            && string.Equals(url.IdnHost, origin.IdnHost, StringComparison.OrdinalIgnoreCase);
        if (sendBody)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(check.Body!));
        }
        string? contentType = null;
        foreach (var (name, value) in check.Headers)
        {
            if (IsOwnedByProbe(name) || (!sameOrigin && SecretHeaders.IsSecret(name)))
            {
                continue;
            }
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
            else if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                // A content header (Content-Language, ...): it belongs to the body, and means nothing without one.
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }
        if (request.Content is { } content)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType ?? DefaultContentType(check.Body!));
        }
        if (sameOrigin)
        {
            if (check.BearerToken is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            else if (check.BasicAuthUsername is { } user)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + check.BasicAuthPassword)));
            }
        }
        // Every check is a first visit: a fresh connection, so DNS, connect and TLS are measured every time and a
        // connection is never kept for a target that is checked once a minute.
        request.Headers.ConnectionClose = true;
        request.Options.Set(HttpProbeContext.Key, context);
        return request;
    }

    private static bool IsOwnedByProbe(string header) =>
        header.Equals("Connection", StringComparison.OrdinalIgnoreCase)
        || header.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
        || header.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase);

    private static string DefaultContentType(string body)
    {
        var start = body.AsSpan().TrimStart();
        return start.StartsWith("{") || start.StartsWith("[") ? "application/json" : "text/plain; charset=utf-8";
    }

    private static string? MissingHeader(HttpCheck check, HttpResponseMessage response)
    {
        foreach (var (name, required) in check.RequiredHeaders)
        {
            if (!response.Headers.TryGetValues(name, out var values) && !response.Content.Headers.TryGetValues(name, out values))
            {
                return $"response header {name} is missing";
            }
            if (required.Length == 0)
            {
                continue;
            }
            var found = false;
            foreach (var value in values)
            {
                if (value.Contains(required, StringComparison.OrdinalIgnoreCase))
                {
                    found = true;
                    break;
                }
            }
            if (!found)
            {
                var actual = string.Join(", ", values);
                return $"response header {name} is \"{(actual.Length > 200 ? actual[..200] + "…" : actual)}\", which does not contain \"{required}\"";
            }
        }
        return null;
    }

    private static async Task<(FailureKind Kind, string Message)?> CheckBodyAsync(HttpCheck check, HttpContent content, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxBodyBytes);
        try
        {
            var length = 0;
            var truncated = false;
            await using (var stream = await content.ReadAsStreamAsync(cancellationToken))
            {
                int read;
                while (length < MaxBodyBytes && (read = await stream.ReadAsync(buffer.AsMemory(length, MaxBodyBytes - length), cancellationToken)) > 0)
                {
                    length += read;
                }
                truncated = length == MaxBodyBytes && await stream.ReadAsync(Overflow, cancellationToken) > 0;
            }
            return Judge(check, buffer.AsSpan(0, length), EncodingOf(content), truncated);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static (FailureKind, string)? Judge(HttpCheck check, ReadOnlySpan<byte> body, Encoding encoding, bool truncated)
    {
        // UTF-8 (the common case) is searched as bytes; other charsets, and JSON, need the text.
        var text = check.Json is not null || encoding.CodePage != Encoding.UTF8.CodePage ? encoding.GetString(body) : null;
        var where = truncated ? $"the first {MaxBodyBytes / 1024} KiB of the body" : "the body";
        if (check.Keyword is { } keyword && !Contains(body, text, keyword))
        {
            return (FailureKind.KeywordMissing, $"keyword \"{keyword}\" not found in {where}");
        }
        // A forbidden text beyond the read cap goes unseen; that is the price of bounded reads.
        if (check.KeywordAbsent is { } forbidden && Contains(body, text, forbidden))
        {
            return (FailureKind.KeywordPresent, $"forbidden keyword \"{forbidden}\" found in {where}");
        }
        if (check.Json is { } json)
        {
            if (truncated)
            {
                return (FailureKind.JsonAssertionFailed, $"the body is larger than {MaxBodyBytes / 1024} KiB, so {json.Text} cannot be checked");
            }
            if (json.Check(text!) is { } failure)
            {
                return (FailureKind.JsonAssertionFailed, failure);
            }
        }
        return null;
    }

    private static bool Contains(ReadOnlySpan<byte> body, string? text, string keyword)
    {
        if (text is not null)
        {
            return text.Contains(keyword, StringComparison.Ordinal);
        }
        var max = Encoding.UTF8.GetMaxByteCount(keyword.Length);
        byte[]? rented = null;
        Span<byte> needle = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        var found = body.IndexOf(needle[..Encoding.UTF8.GetBytes(keyword, needle)]) >= 0;
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
        return found;
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
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                // An unknown charset is the target's problem, not a reason to fail the keyword check.
            }
        }
        return Encoding.UTF8;
    }

    private int Elapsed(HttpProbeContext context) => (int)Math.Round(time.GetElapsedTime(context.StartedAt).TotalMilliseconds);

    private ProbeResult Down(HttpProbeContext context, FailureKind kind, string error, int? status = null) =>
        new(Verdict.Down, Elapsed(context), status, kind, error)
        {
            Timings = context.Timings(), CertificateDaysLeft = context.CertificateDaysLeft,
        };

    private static bool IsRedirect(int status) => status is 301 or 302 or 303 or 307 or 308;

    private static string Endpoint(Uri url) => $"{url.Host}:{url.Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Says which step the deadline cut short: a slow network and a slow application look different.</summary>
    private static string TimeoutMessage(HttpProbeContext context, Uri url, int timeoutSeconds)
    {
        var within = $"within {timeoutSeconds.ToString(CultureInfo.InvariantCulture)} s";
        return context.Phase switch
        {
            HttpPhase.Resolving => $"DNS lookup for {url.Host} did not finish {within}",
            HttpPhase.Connecting => $"could not connect to {Endpoint(url)} {within}",
            HttpPhase.Handshaking => $"TLS handshake with {Endpoint(url)} did not finish {within}",
            HttpPhase.Waiting => $"no complete response {within} (connected, but the server sent nothing)",
            HttpPhase.Receiving => $"no complete response {within} (the headers did not finish)",
            _ => $"no complete response {within} (the body did not finish)",
        };
    }

    private static (FailureKind, string) Classify(HttpRequestException ex, Uri url)
    {
        var endpoint = Endpoint(url);
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
            case HttpRequestError.ConfigurationLimitExceeded:
                return (FailureKind.ProtocolError, $"the response headers are too large: {ex.Message}");
        }

        return socket?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => (FailureKind.ConnectionRefused, $"connection refused by {endpoint} (nothing is listening)"),
            SocketError.HostUnreachable or SocketError.NetworkUnreachable => (FailureKind.ConnectionFailed, $"{endpoint} is unreachable: {socket.Message}"),
            SocketError.ConnectionReset => (FailureKind.ConnectionFailed, $"connection to {endpoint} was reset"),
            SocketError.HostNotFound or SocketError.NoData => (FailureKind.DnsFailure, $"DNS lookup for {url.Host} failed: {socket.Message}"),
            not null => (FailureKind.ConnectionFailed, $"could not connect to {endpoint}: {socket.Message}"),
            null when FindInner<ProbeSourceException>(ex) is { } source => (FailureKind.ConnectionFailed, source.Message),
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
