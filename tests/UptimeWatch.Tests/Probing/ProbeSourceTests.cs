using System.Net;
using System.Net.Sockets;
using UptimeWatch.Configuration;
using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Probing;

/// <summary>
/// <c>Probing:SourceAddress</c>: a multi-homed host picks the network its probes go out on. All of 127.0.0.0/8 is this
/// machine's on Linux, so a target on 127.0.0.1 sees which loopback address each probe came from.
/// </summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class ProbeSourceTests
{
    private static readonly IPAddress Second = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Third = IPAddress.Parse("127.0.0.3");

    [Fact]
    public async Task Http_checks_go_out_from_the_source_address()
    {
        var seen = new List<IPAddress>();
        await using var target = RawTarget.Start(async (connection, cancellationToken) =>
        {
            lock (seen)
            {
                seen.Add(((IPEndPoint)connection.Socket.RemoteEndPoint!).Address);
            }
            await connection.ReadRequestHeadAsync(cancellationToken);
            await connection.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", cancellationToken);
        });
        using var fromSecond = ProbeHost.FromSource(Second);
        using var fromThird = ProbeHost.FromSource(Third);
        using var fromAny = ProbeHost.Create();

        var results = new[]
        {
            await fromSecond.CheckAsync(("Url", target.Url().ToString())),
            await fromThird.CheckAsync(("Url", target.Url().ToString())),
            await fromAny.CheckAsync(("Url", target.Url().ToString())),
        };

        Assert.All(results, r => Assert.Equal(Verdict.Up, r.Verdict));
        Assert.Equal([Second, Third, IPAddress.Loopback], seen);
    }

    [Fact]
    public async Task Tcp_and_tls_checks_go_out_from_the_source_address()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var probes = ProbeHost.FromSource(Third);

        var tcp = probes.CheckAsync(("Url", $"tcp://127.0.0.1:{port}"));
        using var tcpPeer = await listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var tls = probes.CheckAsync(("Url", $"tls://127.0.0.1:{port}"), ("TimeoutSeconds", "2"));
        using var tlsPeer = await listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Verdict.Up, (await tcp).Verdict);
        Assert.Equal(Third, ((IPEndPoint)tcpPeer.RemoteEndPoint!).Address);
        Assert.Equal(Third, ((IPEndPoint)tlsPeer.RemoteEndPoint!).Address);
        tlsPeer.Close();
        Assert.Equal(Verdict.Down, (await tls).Verdict);
    }

    [Theory]
    [InlineData("http://[::1]:9/", "::1 has no IPv4 address, and probes go out from 127.0.0.2 (Probing:SourceAddress)")]
    [InlineData("tcp://[::1]:9", "::1 has no IPv4 address, and probes go out from 127.0.0.2 (Probing:SourceAddress)")]
    public async Task A_target_only_on_the_other_address_family_is_down_saying_why(string url, string error)
    {
        using var probes = ProbeHost.FromSource(Second);

        var result = await probes.CheckAsync(("Url", url));

        Assert.Equal((Verdict.Down, FailureKind.ConnectionFailed, error), (result.Verdict, result.Failure, result.Error));
    }
}
