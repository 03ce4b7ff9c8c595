using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Hosting;
using UptimeWatch.Tests.AdminConsole;

namespace UptimeWatch.Tests.Hosting;

/// <summary>
/// Per-client limits count an IPv6 client by its /64 (one host can rotate through its /64 at will), an IPv4 client
/// by its address. The Kestrel tests play a trusted proxy on 127.0.0.1 that forwards IPv6 clients.
/// </summary>
public sealed class ClientKeyTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2::a", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff:eeee:dddd:cccc", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::a", "2001:db8:1:3::/64")]
    [InlineData("::1", "::/64")]
    [InlineData("fe80::1%2", "fe80::/64")]
    public void An_address_is_keyed_by_itself_when_IPv4_and_by_its_64_when_IPv6(string address, string key) =>
        Assert.Equal(key, ClientKey.For(IPAddress.Parse(address)));

    [Fact]
    public void No_address_is_one_key() => Assert.Equal("unknown", ClientKey.For((IPAddress?)null));

    private static async Task<(UptimeWatchApp App, HttpClient Http)> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [], settings);
        app.StartKestrel();
        return (app, app.KestrelClient());
    }

    private static HttpRequestMessage From(string client, HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add("X-Forwarded-For", client);
        return request;
    }

    [Fact]
    public async Task Sign_in_attempts_from_two_addresses_of_one_IPv6_64_share_one_limit()
    {
        var (app, http) = await StartAsync(new() { ["UptimeWatch:Admin:InitialPassword"] = AdminTesting.Password });
        await using var _ = app;
        using var __ = http;

        for (var i = 0; i < 10; i++)
        {
            using var attempt = await http.SendAsync(From($"2001:db8:1:2::{i + 1:x}", HttpMethod.Post, "/api/admin/login",
                JsonContent.Create(new { password = "wrong password " + i })));
            Assert.Equal(HttpStatusCode.Unauthorized, attempt.StatusCode);
        }
        using var sameNetwork = await http.SendAsync(From("2001:db8:1:2:abcd::1", HttpMethod.Post, "/api/admin/login",
            JsonContent.Create(new { password = AdminTesting.Password })));
        using var otherNetwork = await http.SendAsync(From("2001:db8:1:3::1", HttpMethod.Post, "/api/admin/login",
            JsonContent.Create(new { password = AdminTesting.Password })));

        Assert.Equal(HttpStatusCode.TooManyRequests, sameNetwork.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherNetwork.StatusCode);
    }

    [Fact]
    public async Task Live_connections_from_two_addresses_of_one_IPv6_64_share_one_limit()
    {
        var (app, http) = await StartAsync(new() { ["UptimeWatch:Live:MaxStreamsPerIp"] = "1" });
        await using var _ = app;
        using var __ = http;

        using var first = await http.SendAsync(From("2001:db8:1:2::a", HttpMethod.Get, "/api/live/events"), HttpCompletionOption.ResponseHeadersRead);
        using var sameNetwork = await http.SendAsync(From("2001:db8:1:2::b", HttpMethod.Get, "/api/live/events"), HttpCompletionOption.ResponseHeadersRead);
        using var mapped = await http.SendAsync(From("203.0.113.7", HttpMethod.Get, "/api/live/events"), HttpCompletionOption.ResponseHeadersRead);
        using var sameAsMapped = await http.SendAsync(From("::ffff:203.0.113.7", HttpMethod.Get, "/api/live/events"), HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, sameNetwork.StatusCode);
        Assert.Equal(HttpStatusCode.OK, mapped.StatusCode);
        // An IPv4 client seen through a dual-stack socket is the same client.
        Assert.Equal(HttpStatusCode.TooManyRequests, sameAsMapped.StatusCode);
    }
}
