using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>The admin WebSocket's transport: who may open it, frames and limits, envelope errors, close codes.</summary>
public sealed class AdminSocketTests
{
    [Fact]
    public async Task Without_a_session_or_token_the_upgrade_is_refused_with_401()
    {
        await using var app = AdminTesting.NewApp();
        (await app.SignedInAsync()).Dispose();

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => AdminSocketClient.ConnectAsync(app));
        using var plain = await app.Browser().GetAsync("/ws/admin");

        Assert.Contains("401", refused.Message);
        Assert.Equal(HttpStatusCode.Unauthorized, plain.StatusCode);
    }

    [Fact]
    public async Task A_signed_in_page_of_another_site_is_refused_with_403_naming_the_origin()
    {
        await using var app = AdminTesting.NewApp();
        var cookie = await app.SessionCookieAsync();

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => AdminSocketClient.ConnectAsync(app, cookie, origin: "https://evil.example"));
        using var client = app.Browser();
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        client.DefaultRequestHeaders.Add("Origin", "https://evil.example");
        using var plain = await client.GetAsync("/ws/admin");

        Assert.Contains("403", refused.Message);
        Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
        Assert.StartsWith("Origin \"https://evil.example\" may not open the admin WebSocket", (await plain.ProblemAsync()).Error);
    }

    [Fact]
    public async Task The_sites_own_origin_and_an_allowed_extra_origin_are_accepted()
    {
        await using var app = AdminTesting.NewApp(new() { ["UptimeWatch:Admin:AllowedOrigins:0"] = "https://console.example.com" });
        var cookie = await app.SessionCookieAsync();

        await using var own = await AdminSocketClient.ConnectAsync(app, cookie, origin: "http://localhost");
        await using var extra = await AdminSocketClient.ConnectAsync(app, cookie, origin: "https://Console.Example.com");

        Assert.Equal("unknown_command", (await own.CommandAsync("hello")).Code());
        Assert.Equal("unknown_command", (await extra.CommandAsync("hello")).Code());
    }

    [Fact]
    public async Task A_script_with_a_token_and_no_Origin_is_accepted()
    {
        await using var app = AdminTesting.NewApp();
        var (_, secret) = await app.TokenAsync();

        await using var socket = await AdminSocketClient.ConnectAsync(app, token: secret);

        Assert.Equal("unknown_command", (await socket.CommandAsync("hello")).Code());
    }

    [Fact]
    public async Task A_plain_GET_with_a_session_is_400()
    {
        await using var app = AdminTesting.NewApp();
        using var client = await app.SignedInAsync();

        using var response = await client.GetAsync("/ws/admin");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("WebSocket", (await response.ProblemAsync()).Error);
    }

    [Fact]
    public async Task Revoking_the_token_closes_its_socket_with_1008()
    {
        await using var app = AdminTesting.NewApp();
        var (id, secret) = await app.TokenAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, token: secret);
        using var admin = await app.SignedInAsync();

        using var revoke = await admin.DeleteAsync($"/api/admin/tokens/{id}");

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.ClosedAsync());
        Assert.Contains("sign in again", socket.CloseDescription);
    }

    [Fact]
    public async Task A_password_change_elsewhere_closes_this_sessions_socket_with_1008()
    {
        await using var app = AdminTesting.NewApp();
        var cookie = await app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, cookie);
        using var elsewhere = await app.SignedInAsync();

        using var change = await elsewhere.PostAsJsonAsync("/api/admin/password", new { current = AdminTesting.Password, @new = "a brand new passphrase" });

        Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.ClosedAsync());
    }

    [Fact]
    public async Task Signing_out_closes_the_sessions_socket_with_1008_but_not_other_sessions()
    {
        await using var app = AdminTesting.NewApp();
        using var browser = await app.SignedInAsync();
        var other = await app.SessionCookieAsync();
        await using var otherSocket = await AdminSocketClient.ConnectAsync(app, other);
        var cookie = await app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, cookie);
        using var signOut = app.Browser();
        signOut.DefaultRequestHeaders.Add("Cookie", cookie);

        using var logout = await signOut.PostAsync("/api/admin/logout", null);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.ClosedAsync());
        Assert.Equal("unknown_command", (await otherSocket.CommandAsync("hello")).Code());
    }

    [Fact]
    public async Task A_message_over_MaxMessageBytes_closes_with_1009_and_one_at_the_limit_is_read()
    {
        await using var app = AdminTesting.NewApp(new() { ["UptimeWatch:Admin:MaxMessageBytes"] = "2048" });
        var cookie = await app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, cookie);
        var atLimit = Padded("""{"type":"hello","id":"a","pad":""}""", 2048);
        var overLimit = Padded("""{"type":"hello","id":"b","pad":""}""", 2049);

        await socket.SendTextAsync(atLimit);
        var reply = await socket.ReplyAsync("a");
        await socket.SendTextAsync(overLimit);

        Assert.Equal("unknown_command", reply.Code());
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await socket.ClosedAsync());
        Assert.Contains("2048 bytes", socket.CloseDescription);
    }

    private static string Padded(string json, int bytes) => json.Replace("\"pad\":\"\"", $"\"pad\":\"{new string('x', bytes - Encoding.UTF8.GetByteCount(json))}\"");

    [Fact]
    public async Task A_binary_frame_closes_with_1003()
    {
        await using var app = AdminTesting.NewApp();
        var cookie = await app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, cookie);

        await socket.SendAsync(Encoding.UTF8.GetBytes("""{"type":"monitors.list","id":"1"}"""), WebSocketMessageType.Binary);

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await socket.ClosedAsync());
    }

    [Fact]
    public async Task Not_JSON_gets_bad_request_with_a_null_id_and_the_socket_keeps_working()
    {
        await using var app = AdminTesting.NewApp();
        var cookie = await app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, cookie);

        await socket.SendTextAsync("{not json");
        var error = await socket.ReplyAsync(null);
        var next = await socket.CommandAsync("hello");

        Assert.Equal(("error", "bad_request"), (error.Type(), error.Code()));
        Assert.Contains("not JSON", error.Message());
        Assert.Equal("unknown_command", next.Code());
    }

    [Theory]
    [InlineData("""[1,2]""", null, null)]
    [InlineData("""{"id":"k1"}""", "k1", "type")]
    [InlineData("""{"id":"k2","type":7}""", "k2", "type")]
    [InlineData("""{"id":7,"type":"monitors.list"}""", null, "id")]
    [InlineData("""{"id":"k3","type":"monitors.list","payload":[]}""", "k3", "payload")]
    public async Task A_malformed_envelope_gets_bad_request_with_the_id_if_readable_naming_the_field(string message, string? id, string? field)
    {
        await using var app = AdminTesting.NewApp();
        var cookie = await app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, cookie);

        await socket.SendTextAsync(message);
        var error = await socket.ReplyAsync(id);

        Assert.Equal(("error", "bad_request"), (error.Type(), error.Code()));
        if (field is not null)
        {
            Assert.True(error.GetProperty("fields").TryGetProperty(field, out _), error.ToString());
        }
    }

    [Fact]
    public async Task An_unknown_command_is_unknown_command_suggesting_the_closest()
    {
        await using var app = AdminTesting.NewApp();
        var cookie = await app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, cookie);

        var error = await socket.CommandAsync("monitors.lst");

        Assert.Equal(("error", "unknown_command"), (error.Type(), error.Code()));
        Assert.Equal("No command \"monitors.lst\" (did you mean monitors.list?)", error.Message());
    }

    [Theory]
    [InlineData("monitors.get", """{}""", "slug", "slug is required")]
    [InlineData("monitors.get", """{"slug":42}""", "slug", "slug \"42\" must be a string")]
    [InlineData("monitors.create", """{"monitor":"x"}""", "monitor", "monitor must be a JSON object of monitor fields")]
    [InlineData("alerts.ack", """{"id":"seven"}""", "id", "id \"seven\" must be a whole number, 0 or more")]
    [InlineData("alerts.list", """{"state":"closed"}""", "state", "state \"closed\" must be open or all")]
    [InlineData("maintenance.create", """{"slug":"api","start":"tomorrow"}""", "start", "start \"tomorrow\" must be a date and time, e.g. 2026-11-25T22:00:00Z")]
    [InlineData("subscribe", """{"after":-1}""", "after", "after \"-1\" must be a whole number, 0 or more")]
    public async Task A_missing_or_mistyped_payload_field_is_bad_request_naming_field_and_value(string type, string payload, string field, string message)
    {
        await using var app = AdminTesting.NewApp();
        var cookie = await app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, cookie);

        await socket.SendTextAsync($$"""{"type":"{{type}}","id":"p","payload":{{payload}}}""");
        var error = await socket.ReplyAsync("p");

        Assert.Equal(("error", "bad_request", message), (error.Type(), error.Code(), error.Message()));
        Assert.True(error.GetProperty("fields").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Stopping_the_server_closes_the_socket_with_1001()
    {
        await using var app = AdminTesting.NewApp();
        var cookie = await app.SessionCookieAsync();
        await using var socket = await AdminSocketClient.ConnectAsync(app, cookie);

        // What SIGTERM does.
        app.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await socket.ClosedAsync());
        Assert.Contains("subscribe with after", socket.CloseDescription);
    }
}
