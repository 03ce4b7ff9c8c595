using System.Net.Sockets;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Images;

namespace UptimeWatch.IntegrationTests.Docker;

/// <summary>Tests that run containers from <see cref="BusyboxImage"/>; the image is built once for all of them.</summary>
// Alone, never beside the other collections: measured faster end to end on 2 cores (docs/development.md).
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DockerCollection : ICollectionFixture<BusyboxImage>
{
    public const string Name = "Docker";
}

/// <summary>
/// An image built <c>FROM scratch</c> holding only the host's statically linked <c>/bin/busybox</c> (its entrypoint)
/// and <c>/www/index.html</c>: no registry is needed. Built once per test run, deleted at the end.
/// Never skips: without Docker or busybox the tests fail, saying what is missing.
/// </summary>
public sealed class BusyboxImage : IAsyncLifetime
{
    /// <summary>Text of <c>/www/index.html</c> in the image.</summary>
    public const string IndexText = "Served by busybox from a container";

    private const string HostBusybox = "/bin/busybox";
    private const string DockerSocket = "/var/run/docker.sock";

    private IFutureDockerImage? _image;
    private string? _context;

    public IImage Image => _image ?? throw new InvalidOperationException("The busybox image was not built.");

    public async Task InitializeAsync()
    {
        if (!File.Exists(HostBusybox))
        {
            throw new InvalidOperationException(
                $"{HostBusybox} is missing: install Debian's statically linked busybox (apt-get install -y busybox-static), or run ./test.sh, which does.");
        }
        await EnsureDockerAnswersAsync();

        _context = TestPaths.NewTempDirectory("uw-busybox");
        File.Copy(HostBusybox, Path.Combine(_context, "busybox"));
        Directory.CreateDirectory(Path.Combine(_context, "www"));
        await File.WriteAllTextAsync(Path.Combine(_context, "www", "index.html"),
            $"<!doctype html><html><head><title>busybox</title></head><body><p>{IndexText}</p></body></html>\n");
        await File.WriteAllTextAsync(Path.Combine(_context, "Dockerfile"),
            """
            FROM scratch
            COPY busybox /bin/busybox
            COPY www/index.html /www/index.html
            ENTRYPOINT ["/bin/busybox"]
            """);

        _image = new ImageFromDockerfileBuilder()
            .WithDockerfileDirectory(_context)
            .WithDockerfile("Dockerfile")
            .WithName($"localhost/uptimewatch-busybox:{Guid.NewGuid():N}")
            .WithDeleteIfExists(true)
            .Build();
        try
        {
            await _image.CreateAsync();
        }
        catch (DockerUnavailableException e)
        {
            throw new InvalidOperationException(DockerMissing(e.Message), e);
        }
    }

    public async Task DisposeAsync()
    {
        if (_image is not null)
        {
            await _image.DeleteAsync();
            await _image.DisposeAsync();
        }
        if (_context is not null)
        {
            Directory.Delete(_context, recursive: true);
        }
    }

    /// <summary>Asks the Docker engine for <c>/_ping</c> so that a missing engine fails with a plain message.</summary>
    internal static async Task EnsureDockerAnswersAsync()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!string.IsNullOrEmpty(host) && !host.StartsWith("unix://", StringComparison.Ordinal))
        {
            return; // Some other endpoint (tcp://, ssh://): let Testcontainers report on it.
        }
        var socketPath = string.IsNullOrEmpty(host) ? DockerSocket : host["unix://".Length..];
        if (!File.Exists(socketPath))
        {
            throw new InvalidOperationException(DockerMissing($"there is no Docker socket at {socketPath}"));
        }
        try
        {
            using var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            };
            using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
            using var response = await client.GetAsync("http://docker/_ping");
            response.EnsureSuccessStatusCode();
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or TaskCanceledException)
        {
            throw new InvalidOperationException(DockerMissing($"{socketPath}: {e.Message}"), e);
        }
    }

    private static string DockerMissing(string detail) =>
        "No Docker engine answers, and these tests need one (they are never skipped). " +
        "Run ./test.sh, which installs docker.io and starts dockerd, or start it yourself: " +
        $"dockerd --bridge=none --iptables=false & — {detail}";
}
