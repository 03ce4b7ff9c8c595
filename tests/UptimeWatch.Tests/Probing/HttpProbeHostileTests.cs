using System.IO.Compression;
using System.Text;
using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Probing;

/// <summary>
/// Alone, so the allocation measurements below see only the probe (the counter is process-wide).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostileTargetsCollection
{
    public const string Name = "Hostile targets";
}

/// <summary>
/// Targets that misbehave on purpose, each served by a socket-level server on 127.0.0.1: every one must get a
/// correct, explained verdict within the monitor's deadline, reading no more than the body cap.
/// </summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
[Collection(HostileTargetsCollection.Name)]
public sealed class HttpProbeHostileTests : IDisposable
{
    private const int HundredMegabytes = 100 * 1024 * 1024;

    /// <summary>About 100 KB of gzip that inflates to 100 MB of zeros.</summary>
    private static readonly Lazy<byte[]> GzipBomb = new(() =>
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 100; i++)
            {
                gzip.Write(zeros);
            }
        }
        return output.ToArray();
    });

    private readonly ProbeHost _probe = ProbeHost.Create();

    public void Dispose() => _probe.Dispose();

    private Task<ProbeResult> Check(Uri url, string? keyword = null, int timeoutSeconds = 5) =>
        _probe.CheckAsync(("Url", url.ToString()), ("Keyword", keyword), ("TimeoutSeconds", timeoutSeconds.ToString()));

    private static string Head(string headers) => "HTTP/1.1 200 OK\r\n" + headers + "Connection: close\r\n\r\n";

    /// <summary>A target that reads the request, sends <paramref name="response"/> as it is and closes.</summary>
    private static RawTarget Answering(string response) => RawTarget.Start(async (c, ct) =>
    {
        await c.ReadRequestHeadAsync(ct);
        await c.SendAsync(response, ct);
    });

    [Fact]
    public async Task A_server_that_accepts_and_never_answers_times_out_after_connecting()
    {
        await using var target = RawTarget.Start(async (c, ct) =>
        {
            await c.ReadRequestHeadAsync(ct);
            await c.HoldAsync(ct);
        });

        var result = await Check(target.Url(), timeoutSeconds: 1);

        Assert.Equal(FailureKind.Timeout, result.Failure);
        Assert.Equal("no complete response within 1 s (connected, but the server sent nothing)", result.Error);
        Assert.InRange(result.ElapsedMs, 900, 5000);
        Assert.NotNull(result.Timings?.ConnectMs);
        Assert.Null(result.Timings?.FirstByteMs);
    }

    [Fact]
    public async Task A_server_that_never_starts_the_tls_handshake_times_out_in_the_handshake()
    {
        await using var target = RawTarget.Start((c, ct) => c.HoldAsync(ct));

        var result = await Check(target.Url(scheme: "https"), timeoutSeconds: 1);

        Assert.Equal(FailureKind.Timeout, result.Failure);
        Assert.Equal($"TLS handshake with 127.0.0.1:{target.Port} did not finish within 1 s", result.Error);
        Assert.InRange(result.ElapsedMs, 900, 5000);
        // The abandoned handshake is closed at the deadline, not left to the handler's own 5 s clean-up.
        await target.WhenConnectionsDoneAsync(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_slowloris_trickling_the_headers_hits_the_deadline()
    {
        await using var target = RawTarget.Start(async (c, ct) =>
        {
            await c.ReadRequestHeadAsync(ct);
            foreach (var b in "HTTP/1.1 200 OK\r\nX-Slow: yes\r\n"u8.ToArray())
            {
                await c.SendAsync(new[] { b }, ct);
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
            }
        });

        var result = await Check(target.Url(), timeoutSeconds: 3);

        Assert.Equal(FailureKind.Timeout, result.Failure);
        Assert.Equal("no complete response within 3 s (the headers did not finish)", result.Error);
        Assert.InRange(result.ElapsedMs, 2900, 7000);
        Assert.NotNull(result.Timings?.FirstByteMs);
    }

    /// <summary>A 20-byte body, one byte every 2 s: 40 s in all.</summary>
    private static RawTarget TrickledBody() => RawTarget.Start(async (c, ct) =>
    {
        await c.ReadRequestHeadAsync(ct);
        await c.SendAsync(Head("Content-Length: 20\r\n"), ct);
        for (var i = 0; i < 20; i++)
        {
            await c.SendAsync("x"u8.ToArray(), ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
    });

    [Fact]
    public async Task A_slowloris_trickling_the_body_hits_the_deadline_when_the_body_is_checked()
    {
        await using var target = TrickledBody();

        var result = await Check(target.Url(), keyword: "needle", timeoutSeconds: 3);

        Assert.Equal(FailureKind.Timeout, result.Failure);
        Assert.Equal("no complete response within 3 s (the body did not finish)", result.Error);
        Assert.InRange(result.ElapsedMs, 2900, 7000);
    }

    [Fact]
    public async Task A_slow_body_does_not_matter_when_nothing_checks_the_body()
    {
        await using var target = TrickledBody();

        var result = await Check(target.Url(), timeoutSeconds: 3);

        // Waiting for the 40 s body would have been a timeout.
        Assert.True(result.Success, result.Error);
    }

    private static RawTarget HundredMegabyteBody() => RawTarget.Start(async (c, ct) =>
    {
        await c.ReadRequestHeadAsync(ct);
        await c.SendAsync(Head($"Content-Type: text/plain\r\nContent-Length: {HundredMegabytes}\r\n"), ct);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        for (var sent = 0; sent < HundredMegabytes; sent += chunk.Length)
        {
            await c.SendAsync(chunk, ct);
        }
    });

    [Fact]
    public async Task A_100_MB_body_is_not_read_when_nothing_checks_the_body()
    {
        await using var target = HundredMegabyteBody();

        var (result, allocated) = await Measure(() => Check(target.Url()));
        await target.WhenConnectionsDoneAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Success, result.Error);
        // What the server could push went into socket buffers; the probe read none of it and closed.
        Assert.InRange(target.BytesSent, 0, 32 * 1024 * 1024);
        Assert.InRange(allocated, 0, 4 * 1024 * 1024);
    }

    [Fact]
    public async Task A_100_MB_body_is_read_only_up_to_the_cap_when_looking_for_a_keyword()
    {
        await using var target = HundredMegabyteBody();

        var (result, allocated) = await Measure(() => Check(target.Url(), keyword: "needle"));
        await target.WhenConnectionsDoneAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(FailureKind.KeywordMissing, result.Failure);
        Assert.Equal("keyword \"needle\" not found in the first 1024 KiB of the body", result.Error);
        Assert.InRange(target.BytesSent, 0, 32 * 1024 * 1024);
        Assert.InRange(allocated, 0, 8 * 1024 * 1024);
    }

    private static RawTarget GzipBombTarget() => RawTarget.Start(async (c, ct) =>
    {
        await c.ReadRequestHeadAsync(ct);
        await c.SendAsync(Head($"Content-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: {GzipBomb.Value.Length}\r\n"), ct);
        await c.SendAsync(GzipBomb.Value, ct);
    });

    [Fact]
    public async Task A_gzip_bomb_is_not_inflated_when_nothing_checks_the_body()
    {
        _ = GzipBomb.Value;
        await using var target = GzipBombTarget();

        var (result, allocated) = await Measure(() => Check(target.Url()));

        Assert.True(result.Success, result.Error);
        Assert.InRange(allocated, 0, 4 * 1024 * 1024);
    }

    [Fact]
    public async Task A_gzip_bomb_is_inflated_only_up_to_the_cap_when_looking_for_a_keyword()
    {
        _ = GzipBomb.Value;
        await using var target = GzipBombTarget();

        var (result, allocated) = await Measure(() => Check(target.Url(), keyword: "needle"));

        Assert.Equal(FailureKind.KeywordMissing, result.Failure);
        Assert.Equal("keyword \"needle\" not found in the first 1024 KiB of the body", result.Error);
        Assert.InRange(allocated, 0, 8 * 1024 * 1024);
    }

    [Fact]
    public async Task A_body_that_claims_gzip_but_is_not_is_a_protocol_error()
    {
        await using var target = Answering(Head("Content-Encoding: gzip\r\nContent-Length: 32\r\n") + "this is not gzip, it is a needle");

        var result = await Check(target.Url(), keyword: "needle");

        Assert.Equal(FailureKind.ProtocolError, result.Failure);
        Assert.StartsWith("the body could not be decompressed: ", result.Error);
    }

    [Fact]
    public async Task A_connection_reset_in_the_middle_of_the_body_is_a_connection_failure()
    {
        await using var target = RawTarget.Start(async (c, ct) =>
        {
            await c.ReadRequestHeadAsync(ct);
            await c.SendAsync(Head("Content-Length: 100000\r\n") + new string('x', 1000), ct);
            await Task.Delay(200, ct);
            c.Reset();
        });

        var result = await Check(target.Url(), keyword: "needle");

        Assert.Equal(FailureKind.ConnectionFailed, result.Failure);
        Assert.Equal($"the connection to 127.0.0.1:{target.Port} was reset while the body was being read", result.Error);
    }

    [Fact]
    public async Task A_server_that_closes_in_the_middle_of_the_body_is_a_connection_failure()
    {
        await using var target = Answering(Head("Content-Length: 100000\r\n") + new string('x', 1000));

        var result = await Check(target.Url(), keyword: "needle");

        Assert.Equal(FailureKind.ConnectionFailed, result.Failure);
        Assert.Equal("the server closed the connection before the body was complete", result.Error);
    }

    [Fact]
    public async Task A_server_that_closes_without_answering_is_a_protocol_error()
    {
        await using var target = RawTarget.Start(async (c, ct) => await c.ReadRequestHeadAsync(ct));

        var result = await Check(target.Url());

        Assert.Equal(FailureKind.ProtocolError, result.Failure);
        Assert.Equal("the server closed the connection before the response was complete", result.Error);
    }

    [Fact]
    public async Task A_server_that_answers_something_other_than_http_is_a_protocol_error()
    {
        await using var target = Answering("SSH-2.0-OpenSSH_9.2\r\n\r\n");

        var result = await Check(target.Url());

        Assert.Equal(FailureKind.ProtocolError, result.Failure);
        Assert.Equal("invalid HTTP response: Received an invalid status line: 'SSH-2.0-OpenSSH_9.2'.", result.Error);
    }

    [Fact]
    public async Task Endless_response_headers_are_cut_off_at_the_limit()
    {
        await using var target = RawTarget.Start(async (c, ct) =>
        {
            await c.ReadRequestHeadAsync(ct);
            await c.SendAsync("HTTP/1.1 200 OK\r\n", ct);
            var line = Encoding.ASCII.GetBytes("X-Filler: " + new string('x', 1000) + "\r\n");
            for (var i = 0; i < 10_000; i++)
            {
                await c.SendAsync(line, ct);
            }
        });

        var result = await Check(target.Url());
        await target.WhenConnectionsDoneAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(FailureKind.ProtocolError, result.Failure);
        Assert.StartsWith("the response headers are too large: ", result.Error);
        Assert.InRange(target.BytesSent, 0, 32 * 1024 * 1024);
    }

    /// <summary>Runs one check and counts what the whole process allocated meanwhile (nothing else runs).</summary>
    private static async Task<(ProbeResult Result, long Allocated)> Measure(Func<Task<ProbeResult>> check)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var result = await check();
        return (result, GC.GetTotalAllocatedBytes(precise: true) - before);
    }
}
