using MimeKit;
using UptimeWatch.Alerting;
using UptimeWatch.Alerting.Channels;
using UptimeWatch.Configuration;
using UptimeWatch.Probing;
using static UptimeWatch.Tests.Alerting.ChannelTestKit;

namespace UptimeWatch.Tests.Alerting;

/// <summary>The email channel against a real SMTP server on 127.0.0.1 (<see cref="SmtpTestServer"/>).</summary>
public sealed class EmailSenderTests
{
    /// <summary>Trusts the test CA, as <c>Probing:CaCertificatesFile</c> would make the app do.</summary>
    private static readonly EmailSender TrustingSender = new(new CertificateCheck(TimeProvider.System, [TestCertificates.Ca]));

    private static ChannelSettings Email(int port, SmtpSecurity security, string? user = null, string? password = null) => new()
    {
        Name = "mail",
        Type = "email",
        Smtp = new SmtpSettings("127.0.0.1", port, security, user, password, "UptimeWatch <alerts@example.com>",
            ["ops@example.com", "Oncall Person <oncall@example.com>"]),
    };

    private static MimeMessage Parse(ReceivedMail mail) => MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(mail.Data)));

    [Fact]
    public async Task A_plain_relay_receives_one_message_with_plain_and_html_parts_everything_escaped()
    {
        await using var smtp = new SmtpTestServer().Start();

        var outcome = await TrustingSender.SendAsync(Email(smtp.Port, SmtpSecurity.None), Down(NastyName), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Ok(250), outcome);
        var mail = Assert.Single(smtp.Messages);
        Assert.Equal("alerts@example.com", mail.From);
        Assert.Equal(["ops@example.com", "oncall@example.com"], mail.To);
        Assert.False(mail.Tls);

        var message = Parse(mail);
        Assert.Equal($"[DOWN] {NastyName}", message.Subject);
        Assert.Equal("alerts@example.com", message.From.Mailboxes.Single().Address);
        Assert.Equal(["ops@example.com", "oncall@example.com"], message.To.Mailboxes.Select(m => m.Address));
        Assert.IsType<MultipartAlternative>(message.Body);
        Assert.StartsWith($"{NastyName} is down.", message.TextBody);
        Assert.Contains("Reason: HTTP 503", message.TextBody);
        Assert.Contains("<h2", message.HtmlBody);
        Assert.Contains("&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;", message.HtmlBody);
        Assert.DoesNotContain(NastyName, message.HtmlBody);
        Assert.Contains("<a href=\"https://status.example.com/m/checkout-api\">Status page</a>", message.HtmlBody);
    }

    [Fact]
    public async Task Lines_that_start_with_a_dot_survive_the_trip()
    {
        await using var smtp = new SmtpTestServer().Start();

        await TrustingSender.SendAsync(Email(smtp.Port, SmtpSecurity.None), Down(reason: "first line\n.hidden\n..two dots"), CancellationToken.None);

        var text = Parse(Assert.Single(smtp.Messages)).TextBody;
        Assert.Contains("\n.hidden\n..two dots", text!.Replace("\r\n", "\n"));
    }

    [Fact]
    public async Task Starttls_with_auth_plain_delivers_over_tls_when_the_ca_is_trusted()
    {
        await using var smtp = new SmtpTestServer
        {
            Certificate = TestCertificates.Issue("127.0.0.1"),
            Credentials = ("alerts", "smtp-password-1"),
            AuthMechanisms = ["PLAIN"],
        }.Start();

        var outcome = await TrustingSender.SendAsync(Email(smtp.Port, SmtpSecurity.StartTls, "alerts", "smtp-password-1"), Down(), CancellationToken.None);

        Assert.True(outcome.Delivered, outcome.Error);
        var mail = Assert.Single(smtp.Messages);
        Assert.True(mail.Tls);
        Assert.Equal("alerts", mail.AuthenticatedAs);
    }

    [Fact]
    public async Task Tls_from_the_first_byte_with_auth_login_delivers()
    {
        await using var smtp = new SmtpTestServer
        {
            Certificate = TestCertificates.Issue("127.0.0.1"),
            ImplicitTls = true,
            Credentials = ("alerts", "smtp-password-2"),
            AuthMechanisms = ["LOGIN"],
        }.Start();

        var outcome = await TrustingSender.SendAsync(Email(smtp.Port, SmtpSecurity.Tls, "alerts", "smtp-password-2"), Down(), CancellationToken.None);

        Assert.True(outcome.Delivered, outcome.Error);
        Assert.True(Assert.Single(smtp.Messages).Tls);
    }

    [Fact]
    public async Task Starttls_to_a_server_with_an_untrusted_certificate_is_not_delivered_and_says_why()
    {
        await using var smtp = new SmtpTestServer { Certificate = TestCertificates.SelfSigned("127.0.0.1") }.Start();

        var outcome = await TrustingSender.SendAsync(Email(smtp.Port, SmtpSecurity.StartTls), Down(), CancellationToken.None);

        Assert.False(outcome.Delivered);
        Assert.False(outcome.Permanent);
        Assert.Contains("the certificate is self-signed and not trusted", outcome.Error);
        Assert.Empty(smtp.Messages);
    }

    [Fact]
    public async Task Starttls_required_but_not_offered_is_permanent()
    {
        await using var smtp = new SmtpTestServer().Start();

        var outcome = await TrustingSender.SendAsync(Email(smtp.Port, SmtpSecurity.StartTls), Down(), CancellationToken.None);

        Assert.False(outcome.Delivered);
        Assert.True(outcome.Permanent);
        Assert.Empty(smtp.Messages);
    }

    [Fact]
    public async Task A_wrong_password_is_permanent_and_the_password_is_not_in_the_error()
    {
        await using var smtp = new SmtpTestServer { Credentials = ("alerts", "right-password") }.Start();

        var outcome = await TrustingSender.SendAsync(Email(smtp.Port, SmtpSecurity.None, "alerts", "wrong-password"), Down(), CancellationToken.None);

        Assert.False(outcome.Delivered);
        Assert.True(outcome.Permanent);
        Assert.Equal(535, outcome.StatusCode);
        Assert.DoesNotContain("wrong-password", outcome.Error);
        Assert.Empty(smtp.Messages);
    }

    [Theory]
    [InlineData("450 4.2.0 Mailbox busy", 450, false)]
    [InlineData("550 5.1.1 No such user", 550, true)]
    public async Task A_refused_recipient_is_retryable_for_4xx_and_permanent_for_5xx(string reply, int code, bool permanent)
    {
        await using var smtp = new SmtpTestServer { RecipientReply = reply }.Start();

        var outcome = await TrustingSender.SendAsync(Email(smtp.Port, SmtpSecurity.None), Down(), CancellationToken.None);

        Assert.False(outcome.Delivered);
        Assert.Equal(code, outcome.StatusCode);
        Assert.Equal(permanent, outcome.Permanent);
        Assert.Contains($"SMTP {code}", outcome.Error);
    }

    [Fact]
    public async Task A_server_that_never_greets_is_cut_off_by_the_deadline_and_retryable()
    {
        await using var smtp = new SmtpTestServer { Silent = true }.Start();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var outcome = await TrustingSender.SendAsync(Email(smtp.Port, SmtpSecurity.None), Down(), deadline.Token);

        Assert.False(outcome.Delivered);
        Assert.False(outcome.Permanent);
        Assert.StartsWith("timed out", outcome.Error);
    }

    [Fact]
    public async Task Nothing_listening_is_retryable()
    {
        using var closed = ClosedPort.Take();

        var outcome = await TrustingSender.SendAsync(Email(closed.Port, SmtpSecurity.None), Down(), CancellationToken.None);

        Assert.False(outcome.Delivered);
        Assert.False(outcome.Permanent);
        Assert.Contains("127.0.0.1:", outcome.Error);
    }

    [Fact]
    public void The_registered_email_sender_is_there_with_the_others()
    {
        using var kit = new ChannelTestKit();

        Assert.IsType<EmailSender>(kit.Sender("email"));
    }
}
