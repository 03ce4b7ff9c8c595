using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using UptimeWatch.Configuration;
using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Probing;

/// <summary>The real TCP probe, wired as the host wires it, against sockets on 127.0.0.1.</summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class TcpProbeTests : IDisposable
{
    private readonly ProbeHost _host;
    private readonly ProbeRunner _probe;

    public TcpProbeTests()
    {
        _host = ProbeHost.Create();
        _probe = _host.Runner;
    }

    public void Dispose() => _host.Dispose();

    private static MonitorDefinition Monitor(int port, int timeoutSeconds = 3) =>
        TestMonitors.Define(("Url", $"tcp://127.0.0.1:{port}"), ("TimeoutSeconds", timeoutSeconds.ToString()));

    [Fact]
    public async Task An_open_port_is_up_with_its_connect_time()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await _probe.CheckAsync(Monitor(port), CancellationToken.None);

        Assert.Equal(Verdict.Up, result.Verdict);
        Assert.Null(result.Error);
        Assert.NotNull(result.Timings?.ConnectMs);
        Assert.Null(result.Timings!.DnsMs); // An address needs no lookup.
        Assert.InRange(result.ElapsedMs, 0, 3000);
    }

    [Fact]
    public Task A_closed_port_is_connection_refused() => ClosedPortProbe.AssertRefusedAsync(_probe, port => Monitor(port));

    [Fact]
    public async Task A_listener_that_takes_no_more_connections_is_a_timeout_at_the_deadline()
    {
        // A listener that never accepts, with its backlog filled: Linux then drops further SYNs, so a connect hangs.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                try
                {
                    await filler.ConnectAsync(IPAddress.Loopback, port, wait.Token);
                }
                catch (OperationCanceledException)
                {
                    break; // The backlog is full.
                }
            }

            var result = await _probe.CheckAsync(Monitor(port, timeoutSeconds: 1), CancellationToken.None);

            Assert.Equal(Verdict.Down, result.Verdict);
            Assert.Equal(FailureKind.Timeout, result.Failure);
            Assert.Equal("no connection within 1 s", result.Error);
            // Well below the minutes a kernel keeps retrying a SYN; above the deadline only by timer and thread-pool delay.
            Assert.InRange(result.ElapsedMs, 900, 3000);
        }
        finally
        {
            fillers.ForEach(s => s.Dispose());
        }
    }
}
