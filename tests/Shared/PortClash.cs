using System.Net;
using System.Net.Sockets;

namespace UptimeWatch.Testing;

/// <summary>
/// Ports for servers that must be told their port and cannot bind port 0 and say which one they got (nginx, Caddy,
/// busybox httpd, a container whose Urls the image's health check reads). A port free a moment ago can be taken by
/// another process before the server binds it; the server then fails with "address already in use", and the whole
/// start is tried again on a new port, a bounded number of times.
/// </summary>
internal static class PortClash
{
    public const int Attempts = 5;

    /// <summary>A port on 127.0.0.1 that nothing had bound when asked. Only for a start that <see cref="RetryAsync{T}"/> repeats.</summary>
    public static int Candidate()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>
    /// Whether a server's output says its port was taken: nginx "(98: Address already in use)", Caddy and Kestrel
    /// "address already in use", busybox "Address in use" (the C library's words).
    /// </summary>
    public static bool IsReportedIn(string output) =>
        output.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
        || output.Contains("address in use", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Runs <paramref name="start"/> until it does not throw <see cref="PortTakenException"/>; after
    /// <see cref="Attempts"/> clashes in a row it fails, saying so (something on this machine keeps taking ports).
    /// </summary>
    public static async Task<T> RetryAsync<T>(string what, Func<Task<T>> start)
    {
        var clashes = new List<string>();
        while (true)
        {
            try
            {
                return await start();
            }
            catch (PortTakenException e)
            {
                clashes.Add(e.Message);
                if (clashes.Count == Attempts)
                {
                    throw new InvalidOperationException(
                        $"{what} could not start: {Attempts} times in a row the free port chosen for it was taken by another process " +
                        $"before it could bind it:\n{string.Join("\n", clashes)}", e);
                }
            }
        }
    }
}

/// <summary>A server could not bind its port: another process took it between choosing and binding. Retried on a new port.</summary>
internal sealed class PortTakenException(string detail) : Exception(detail);
