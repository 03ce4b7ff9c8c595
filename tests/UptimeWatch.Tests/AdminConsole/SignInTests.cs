using Microsoft.EntityFrameworkCore;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using System.Net.Http.Json;

namespace UptimeWatch.Tests.AdminConsole;

public sealed class SignInTests
{
    [Fact]
    public async Task First_run_asks_for_a_password_once_then_setup_is_refused_with_409()
    {
        await using var app = AdminTesting.NewApp();
        using var client = app.Browser();

        var before = await client.GetFromJsonAsync<SetupDto>("/api/admin/setup");
        using var setup = await client.SetUpAsync(app);
        var after = await client.GetFromJsonAsync<SetupDto>("/api/admin/setup");
        using var again = await app.Browser().SetUpAsync(app, "another long password");

        Assert.True(before!.SetupRequired);
        Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
        Assert.False(after!.SetupRequired);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("session", (await client.GetFromJsonAsync<MeDto>("/api/admin/me"))!.AuthenticatedBy);
    }

    [Fact]
    public async Task A_short_setup_password_is_400_naming_password_without_echoing_it()
    {
        await using var app = AdminTesting.NewApp();
        using var client = app.Browser();

        using var response = await client.SetUpAsync(app, "short-pw");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ProblemAsync();
        Assert.Equal("must be at least 12 characters long", problem.Fields!["password"]);
        Assert.DoesNotContain("short-pw", problem.Error);
        Assert.True((await client.GetFromJsonAsync<SetupDto>("/api/admin/setup"))!.SetupRequired);
    }

    [Fact]
    public async Task A_wrong_password_is_401_with_a_generic_message()
    {
        await using var app = AdminTesting.NewApp();
        (await app.SignedInAsync()).Dispose();
        using var client = app.Browser();

        using var response = await client.LoginAsync("not the password at all");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Wrong user name or password", (await response.ProblemAsync()).Error);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task The_right_password_sets_an_HttpOnly_SameSite_Strict_session_cookie()
    {
        await using var app = AdminTesting.NewApp();
        (await app.SignedInAsync()).Dispose();
        using var client = app.Browser();

        using var response = await client.LoginAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("uw_session=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(new MeDto("admin", "session", null), await client.GetFromJsonAsync<MeDto>("/api/admin/me"));
    }

    [Fact]
    public async Task Over_HTTPS_the_session_cookie_is_Secure()
    {
        await using var app = AdminTesting.NewApp();
        (await app.SignedInAsync()).Dispose();
        using var client = app.Browser(https: true);

        using var response = await client.LoginAsync();

        Assert.Contains("; secure", Assert.Single(response.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Me_without_a_session_is_401_JSON_not_a_redirect()
    {
        await using var app = AdminTesting.NewApp();
        using var client = app.Browser();

        using var response = await client.GetAsync("/api/admin/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Sign in", (await response.ProblemAsync()).Error);
    }

    [Fact]
    public async Task Logout_ends_the_session()
    {
        await using var app = AdminTesting.NewApp();
        using var client = await app.SignedInAsync();

        using var logout = await client.PostAsync("/api/admin/logout", null);
        using var me = await client.GetAsync("/api/admin/me");

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
    }

    [Fact]
    public async Task Changing_the_password_ends_other_sessions_but_keeps_the_callers()
    {
        await using var app = AdminTesting.NewApp();
        using var caller = await app.SignedInAsync();
        using var other = await app.SignedInAsync();
        var sessions = app.Services.GetRequiredService<UptimeWatch.AdminConsole.AdminSessions>();
        var otherMe = await other.GetAsync("/api/admin/me");
        var revoked = new List<UptimeWatch.AdminConsole.SessionsRevokedReason>();
        sessions.SessionsRevoked += (_, e) => revoked.Add(e.Reason);

        using var change = await caller.PostAsJsonAsync("/api/admin/password", new { current = AdminTesting.Password, @new = "a brand new passphrase" });

        Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherMe.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.GetAsync("/api/admin/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync("/api/admin/me")).StatusCode);
        Assert.Equal([UptimeWatch.AdminConsole.SessionsRevokedReason.PasswordChanged], revoked);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Browser().LoginAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Browser().LoginAsync("a brand new passphrase")).StatusCode);
    }

    [Fact]
    public async Task A_password_change_with_the_wrong_current_password_or_a_short_new_one_names_the_field()
    {
        await using var app = AdminTesting.NewApp();
        using var client = await app.SignedInAsync();

        using var wrong = await client.PostAsJsonAsync("/api/admin/password", new { current = "not the password", @new = "a brand new passphrase" });
        using var tooShort = await client.PostAsJsonAsync("/api/admin/password", new { current = AdminTesting.Password, @new = "short" });

        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.True((await wrong.ProblemAsync()).Fields!.ContainsKey("current"));
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.True((await tooShort.ProblemAsync()).Fields!.ContainsKey("new"));
    }

    [Fact]
    public async Task The_eleventh_login_attempt_in_a_minute_is_429_with_Retry_After()
    {
        // Set up from config: first-run setup counts against the same limit.
        await using var app = AdminTesting.NewApp(new() { ["UptimeWatch:Admin:InitialPassword"] = AdminTesting.Password });
        using var client = app.Browser();

        for (var i = 0; i < 10; i++)
        {
            using var attempt = await client.LoginAsync("wrong password " + i);
            Assert.Equal(HttpStatusCode.Unauthorized, attempt.StatusCode);
        }
        using var limited = await client.LoginAsync();

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        Assert.StartsWith("Too many sign-in attempts from this address", (await limited.ProblemAsync()).Error);
    }

    [Fact]
    public async Task Admin_InitialPassword_creates_the_account_at_start_up()
    {
        await using var app = AdminTesting.NewApp(new() { ["UptimeWatch:Admin:InitialPassword"] = "from the environment" });
        using var client = app.Browser();

        var setup = await client.GetFromJsonAsync<SetupDto>("/api/admin/setup");
        using var login = await client.LoginAsync("from the environment");

        Assert.False(setup!.SetupRequired);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task A_copy_of_the_cookie_taken_before_sign_out_is_refused_after_it()
    {
        await using var app = AdminTesting.NewApp();
        using var browser = app.Browser();
        using var setup = await browser.SetUpAsync(app);
        var cookie = Assert.Single(setup.Headers.GetValues("Set-Cookie")).Split(';')[0];
        using var copy = app.Browser();
        copy.DefaultRequestHeaders.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/api/admin/me")).StatusCode);

        using var logout = await browser.PostAsync("/api/admin/logout", null);
        using var me = await copy.GetAsync("/api/admin/me");
        using var signedInAgain = await app.SignedInAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        // Only that session ended: signing in again works.
        Assert.Equal(HttpStatusCode.OK, (await signedInAgain.GetAsync("/api/admin/me")).StatusCode);
    }

    [Fact]
    public async Task A_session_survives_a_restart()
    {
        var data = TestPaths.NewTempDirectory();
        string cookie;
        await using (var first = new UptimeWatchApp(data, []))
        {
            using var login = await first.Browser().SetUpAsync(first);
            cookie = Assert.Single(login.Headers.GetValues("Set-Cookie")).Split(';')[0];
        }

        await using var second = new UptimeWatchApp(data, []);
        using var client = second.Browser();
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        using var me = await client.GetAsync("/api/admin/me");

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        if (TestStorage.IsPostgres)
        {
            // Several nodes share the keys: they are in the database, none in the node's data folder.
            await using var db = TestStorage.OpenDatabase(data);
            Assert.True(await db.DataProtectionKeys.AnyAsync());
            Assert.False(Directory.Exists(Path.Combine(data, "keys")));
        }
        else
        {
            Assert.True(Directory.EnumerateFiles(Path.Combine(data, "keys"), "key-*.xml").Any());
        }
    }

    private sealed record SetupDto(bool SetupRequired);
}
