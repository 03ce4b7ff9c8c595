using System.Net;
using System.Net.Sockets;
using System.Text;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using UptimeWatch.Configuration;
using UptimeWatch.Probing;
using UptimeWatch.Journal;

namespace UptimeWatch.Alerting.Channels;

/// <summary>
/// Email over SMTP with MailKit: STARTTLS (required, the default), TLS from the first byte, or plain for a local
/// relay; authentication when a UserName is set. One multipart/alternative message: plain text and HTML, every
/// user-typed value HTML-escaped. The server's certificate is checked like a probe's, so the CAs in
/// <c>UptimeWatch:Probing:CaCertificatesFile</c> are trusted here too (for a private mail relay).
/// </summary>
internal sealed class EmailSender(CertificateCheck? certificates = null) : IChannelSender
{
    public string Type => "email";

    public async Task<DeliveryOutcome> SendAsync(ChannelSettings channel, Notification notification, CancellationToken cancellationToken)
    {
        if (channel.Smtp is not { } smtp)
        {
            return new DeliveryOutcome(false, null, $"channel {channel.Name} has no SMTP settings", Permanent: true);
        }
        var where = $"{smtp.Host}:{smtp.Port}";
        MimeMessage message;
        try
        {
            message = Message(smtp, notification);
        }
        catch (ParseException ex)
        {
            return new DeliveryOutcome(false, null, $"an address of channel {channel.Name} cannot be parsed: {ex.Message}", Permanent: true);
        }

        using var client = new SmtpClient();
        string? certificateProblem = null;
        client.ServerCertificateValidationCallback = (_, certificate, chain, errors) =>
        {
            certificateProblem = certificates is not null
                ? certificates.Problem(smtp.Host, certificate, chain, errors)
                : errors == System.Net.Security.SslPolicyErrors.None ? null : $"the certificate is not acceptable ({errors})";
            return certificateProblem is null;
        };
        try
        {
            var security = smtp.Security switch
            {
                SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
                SmtpSecurity.None => SecureSocketOptions.None,
                _ => SecureSocketOptions.StartTls,
            };
            await client.ConnectAsync(smtp.Host, smtp.Port, security, cancellationToken);
            if (!string.IsNullOrEmpty(smtp.UserName))
            {
                await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", cancellationToken);
            }
            await client.SendAsync(message, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
            return DeliveryOutcome.Ok(250);
        }
        catch (OperationCanceledException)
        {
            return new DeliveryOutcome(false, null, $"timed out: the SMTP server {where} did not finish before the attempt's deadline");
        }
        catch (SmtpCommandException ex)
        {
            // 4xx is "try again later" (greylisting, a full queue); 5xx is a refusal that will repeat.
            var code = (int)ex.StatusCode;
            var error = ChannelRedaction.Redact($"SMTP {code} from {where} ({ex.ErrorCode}): {ex.Message}", channel);
            return new DeliveryOutcome(false, code, error, Permanent: code >= 500);
        }
        catch (AuthenticationException ex)
        {
            return new DeliveryOutcome(false, 535, ChannelRedaction.Redact(
                $"SMTP {where} refused the login of {smtp.UserName}: {ex.Message}", channel), Permanent: true);
        }
        catch (NotSupportedException ex)
        {
            // E.g. STARTTLS required but not offered, or no shared authentication mechanism: configuration, not luck.
            return new DeliveryOutcome(false, null, ChannelRedaction.Redact($"SMTP {where}: {ex.Message}", channel), Permanent: true);
        }
        catch (SslHandshakeException) when (certificateProblem is not null)
        {
            // Retryable: a server's certificate gets fixed (renewed, chain completed) without anyone touching our config.
            return new DeliveryOutcome(false, null, $"the SMTP server {where} was not trusted: {certificateProblem}");
        }
        catch (Exception ex) when (ex is SslHandshakeException or SmtpProtocolException or SocketException or IOException or ServiceNotConnectedException)
        {
            return new DeliveryOutcome(false, null, ChannelRedaction.Redact($"could not deliver through {where}: {FirstLine(ex.Message)}", channel));
        }
    }

    public static MimeMessage Message(SmtpSettings smtp, Notification n)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(smtp.From));
        foreach (var to in smtp.To)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }
        message.Subject = NotificationText.Title(n);
        message.Date = n.At;
        // A stable id per idempotency key: a repeat after a lost reply threads with (and can be dropped as) the first.
        message.MessageId = $"{Uri.EscapeDataString(n.Key)}@uptimewatch";
        message.Headers.Add("X-UptimeWatch-Event", n.Event);
        message.Body = new MultipartAlternative
        {
            new TextPart("plain") { Text = NotificationText.PlainText(n) },
            new TextPart("html") { Text = Html(n) },
        };
        return message;
    }

    public static string Html(Notification n)
    {
        var colour = NotificationText.Severity(n) switch
        {
            Channels.NotificationSeverity.Down => "#c0392b",
            Channels.NotificationSeverity.Warning => "#d35400",
            Channels.NotificationSeverity.Ok => "#27ae60",
            _ => "#2980b9",
        };
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><body style=\"font-family:sans-serif\">");
        html.Append($"<h2 style=\"color:{colour}\">{Encode(NotificationText.Title(n))}</h2>");
        html.Append($"<p>{Encode(NotificationText.Headline(n))}</p><table>");
        foreach (var fact in NotificationText.Facts(n))
        {
            html.Append($"<tr><th align=\"left\" style=\"padding-right:1em\">{Encode(fact.Label)}</th><td>{Encode(fact.Value)}</td></tr>");
        }
        html.Append("</table>");
        if (n.StatusPageUrl is { Length: > 0 } url && Uri.TryCreate(url, UriKind.Absolute, out var link) && link.Scheme is "http" or "https")
        {
            html.Append($"<p><a href=\"{Encode(link.AbsoluteUri)}\">Status page</a></p>");
        }
        html.Append("</body></html>");
        return html.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string FirstLine(string text) =>
        text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "the connection failed";
}
