using UptimeWatch.AdminConsole;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>The hook the admin WebSocket uses to close connections whose credentials were revoked.</summary>
public sealed class AdminSessionsTests
{
    [Fact]
    public void A_password_change_ends_every_session_with_the_old_stamp_and_no_other()
    {
        var sessions = new AdminSessions();
        using var first = sessions.CreateEndedSource(AdminClaims.Session(1, "admin", "old"), CancellationToken.None);
        using var second = sessions.CreateEndedSource(AdminClaims.Session(1, "admin", "old"), CancellationToken.None);
        using var reissued = sessions.CreateEndedSource(AdminClaims.Session(1, "admin", "new"), CancellationToken.None);
        SessionsRevokedEventArgs? raised = null;
        sessions.SessionsRevoked += (_, e) => raised = e;

        sessions.RevokeStamp("old");

        Assert.True(first.IsCancellationRequested);
        Assert.True(second.IsCancellationRequested);
        Assert.False(reissued.IsCancellationRequested);
        Assert.Equal(("stamp:old", SessionsRevokedReason.PasswordChanged), (raised!.Key, raised.Reason));
    }

    [Fact]
    public void Sign_out_ends_only_that_session_and_revoking_a_token_only_that_token()
    {
        var sessions = new AdminSessions();
        var signedOut = AdminClaims.Session(1, "admin", "stamp");
        using var signedOutSource = sessions.CreateEndedSource(signedOut, CancellationToken.None);
        using var otherSession = sessions.CreateEndedSource(AdminClaims.Session(1, "admin", "stamp"), CancellationToken.None);
        using var token7 = sessions.CreateEndedSource(AdminClaims.Token("admin", 7, "ci"), CancellationToken.None);
        using var token8 = sessions.CreateEndedSource(AdminClaims.Token("admin", 8, "cron"), CancellationToken.None);

        sessions.RevokeSession(signedOut.FindFirst(AdminClaims.SessionId)!.Value);
        sessions.RevokeToken(7);

        Assert.True(signedOutSource.IsCancellationRequested);
        Assert.False(otherSession.IsCancellationRequested);
        Assert.True(token7.IsCancellationRequested);
        Assert.False(token8.IsCancellationRequested);
    }

    [Fact]
    public async Task The_connection_token_also_ends_the_source()
    {
        var sessions = new AdminSessions();
        using var aborted = new CancellationTokenSource();
        using var source = sessions.CreateEndedSource(AdminClaims.Session(1, "admin", "stamp"), aborted.Token);

        await aborted.CancelAsync();

        Assert.True(source.IsCancellationRequested);
    }
}
