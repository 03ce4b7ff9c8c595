using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace UptimeWatch.Testing;

/// <summary>
/// A small, real SMTP server on 127.0.0.1 (RFC 5321 subset): EHLO/HELO, STARTTLS or TLS from the first byte with
/// a certificate from <see cref="TestCertificates"/>, AUTH PLAIN and LOGIN, MAIL FROM, RCPT TO, DATA with
/// dot-unstuffing, RSET, NOOP, QUIT. Every accepted message is recorded as the raw data the client sent.
/// </summary>
internal sealed class SmtpTestServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<ReceivedMail> _messages = new();
    private readonly ConcurrentBag<Task> _sessions = [];
    private Task _acceptLoop = Task.CompletedTask;

    /// <summary>Offered as STARTTLS (or used from the first byte with <see cref="ImplicitTls"/>) when set.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>TLS from the first byte (port 465 style) instead of STARTTLS.</summary>
    public bool ImplicitTls { get; init; }

    /// <summary>When set, AUTH is offered with these mechanisms and MAIL FROM needs a successful login.</summary>
    public (string UserName, string Password)? Credentials { get; init; }

    public string[] AuthMechanisms { get; init; } = ["PLAIN", "LOGIN"];

    /// <summary>When set, every RCPT TO gets this reply (e.g. "450 4.2.0 Mailbox busy").</summary>
    public string? RecipientReply { get; set; }

    /// <summary>Accepts connections but never says a word: a hung server.</summary>
    public bool Silent { get; init; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IReadOnlyList<ReceivedMail> Messages => [.. _messages];

    /// <summary>Starts listening: <c>await using var smtp = new SmtpTestServer { … }.Start();</c></summary>
    public SmtpTestServer Start()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
        return this;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _sessions.Add(Task.Run(() => SessionAsync(client)));
        }
    }

    private async Task SessionAsync(TcpClient client)
    {
        using var _ = client;
        var ct = _stopping.Token;
        try
        {
            Stream stream = client.GetStream();
            if (Silent)
            {
                await Task.Delay(Timeout.Infinite, ct);
                return;
            }
            var tls = false;
            if (ImplicitTls)
            {
                stream = await StartTlsAsync(stream, ct);
                tls = true;
            }
            var session = new Session(stream);
            await session.ReplyAsync("220 127.0.0.1 UptimeWatch test SMTP ready", ct);

            string? authenticatedAs = null;
            string? from = null;
            var to = new List<string>();
            while (await session.ReadLineAsync(ct) is { } line)
            {
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                var argument = line.Length > verb.Length ? line[(verb.Length + 1)..] : "";
                switch (verb)
                {
                    case "EHLO":
                        var lines = new List<string> { "127.0.0.1 greets you" };
                        if (Certificate is not null && !tls)
                        {
                            lines.Add("STARTTLS");
                        }
                        if (Credentials is not null)
                        {
                            lines.Add("AUTH " + string.Join(' ', AuthMechanisms));
                        }
                        lines.Add("HELP");
                        await session.MultiReplyAsync(250, lines, ct);
                        break;
                    case "HELO":
                        await session.ReplyAsync("250 127.0.0.1", ct);
                        break;
                    case "STARTTLS" when Certificate is not null && !tls:
                        await session.ReplyAsync("220 2.0.0 Ready to start TLS", ct);
                        stream = await StartTlsAsync(stream, ct);
                        session = new Session(stream);
                        tls = true;
                        // RFC 3207: everything learned before TLS is forgotten.
                        (authenticatedAs, from) = (null, null);
                        to.Clear();
                        break;
                    case "AUTH" when Credentials is not null:
                        authenticatedAs = await AuthenticateAsync(session, argument, ct);
                        break;
                    case "MAIL":
                        if (Credentials is not null && authenticatedAs is null)
                        {
                            await session.ReplyAsync("530 5.7.0 Authentication required", ct);
                            break;
                        }
                        from = Address(argument);
                        to.Clear();
                        await session.ReplyAsync("250 2.1.0 Ok", ct);
                        break;
                    case "RCPT":
                        if (from is null)
                        {
                            await session.ReplyAsync("503 5.5.1 MAIL first", ct);
                        }
                        else if (RecipientReply is not null)
                        {
                            await session.ReplyAsync(RecipientReply, ct);
                        }
                        else
                        {
                            to.Add(Address(argument));
                            await session.ReplyAsync("250 2.1.5 Ok", ct);
                        }
                        break;
                    case "DATA":
                        if (from is null || to.Count == 0)
                        {
                            await session.ReplyAsync("503 5.5.1 RCPT first", ct);
                            break;
                        }
                        await session.ReplyAsync("354 End data with <CR><LF>.<CR><LF>", ct);
                        var data = new StringBuilder();
                        while (await session.ReadLineAsync(ct) is { } dataLine && dataLine != ".")
                        {
                            // Dot-unstuffing (RFC 5321 4.5.2): a leading dot was doubled by the client.
                            data.Append(dataLine.StartsWith('.') ? dataLine[1..] : dataLine).Append("\r\n");
                        }
                        _messages.Enqueue(new ReceivedMail(from, [.. to], data.ToString(), authenticatedAs, tls));
                        from = null;
                        to.Clear();
                        await session.ReplyAsync("250 2.0.0 Ok: queued", ct);
                        break;
                    case "RSET":
                        from = null;
                        to.Clear();
                        await session.ReplyAsync("250 2.0.0 Ok", ct);
                        break;
                    case "NOOP":
                        await session.ReplyAsync("250 2.0.0 Ok", ct);
                        break;
                    case "QUIT":
                        await session.ReplyAsync("221 2.0.0 Bye", ct);
                        return;
                    default:
                        await session.ReplyAsync("502 5.5.2 Command not recognized", ct);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException
                                       or System.Security.Authentication.AuthenticationException)
        {
            // The client went away (or the server is stopping): nothing to record.
        }
    }

    private async Task<string?> AuthenticateAsync(Session session, string argument, CancellationToken ct)
    {
        var parts = argument.Split(' ', 2);
        var mechanism = parts[0].ToUpperInvariant();
        string? user = null, password = null;
        if (mechanism == "PLAIN" && AuthMechanisms.Contains("PLAIN"))
        {
            var initial = parts.Length > 1 ? parts[1] : null;
            if (initial is null)
            {
                await session.ReplyAsync("334 ", ct);
                initial = await session.ReadLineAsync(ct);
            }
            var fields = Decode(initial).Split('\0');
            if (fields.Length == 3)
            {
                (user, password) = (fields[1], fields[2]);
            }
        }
        else if (mechanism == "LOGIN" && AuthMechanisms.Contains("LOGIN"))
        {
            await session.ReplyAsync("334 VXNlcm5hbWU6", ct);
            user = Decode(await session.ReadLineAsync(ct));
            await session.ReplyAsync("334 UGFzc3dvcmQ6", ct);
            password = Decode(await session.ReadLineAsync(ct));
        }
        else
        {
            await session.ReplyAsync("504 5.5.4 Unrecognized authentication type", ct);
            return null;
        }

        if (Credentials is { } expected && user == expected.UserName && password == expected.Password)
        {
            await session.ReplyAsync("235 2.7.0 Authentication successful", ct);
            return user;
        }
        await session.ReplyAsync("535 5.7.8 Authentication credentials invalid", ct);
        return null;
    }

    private async Task<Stream> StartTlsAsync(Stream stream, CancellationToken ct)
    {
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = Certificate }, ct);
        return ssl;
    }

    private static string Decode(string? base64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64 ?? ""));
        }
        catch (FormatException)
        {
            return "";
        }
    }

    /// <summary><c>FROM:&lt;a@b&gt; SIZE=12</c> → <c>a@b</c>.</summary>
    private static string Address(string argument)
    {
        var start = argument.IndexOf('<');
        var end = argument.IndexOf('>', start + 1);
        return start >= 0 && end > start ? argument[(start + 1)..end] : argument;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        await Task.WhenAll(_sessions);
        _stopping.Dispose();
    }

    /// <summary>Lines in and out of one stream (re-created after STARTTLS, when nothing is buffered).</summary>
    private sealed class Session(Stream stream)
    {
        private readonly StreamReader _reader = new(stream, Encoding.UTF8, false, 1024, leaveOpen: true);

        public async Task<string?> ReadLineAsync(CancellationToken ct) => await _reader.ReadLineAsync(ct);

        public async Task ReplyAsync(string line, CancellationToken ct)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), ct);
            await stream.FlushAsync(ct);
        }

        public Task MultiReplyAsync(int code, IReadOnlyList<string> lines, CancellationToken ct) =>
            ReplyAsync(string.Join("\r\n", lines.Select((l, i) => $"{code}{(i == lines.Count - 1 ? ' ' : '-')}{l}")), ct);
    }
}

/// <summary>One message the SMTP server accepted: envelope, raw data (dot-unstuffed), who logged in, over TLS or not.</summary>
internal sealed record ReceivedMail(string From, IReadOnlyList<string> To, string Data, string? AuthenticatedAs, bool Tls);
