namespace UptimeWatch.Tests.EndToEnd;

/// <summary>The public event stream when the real process is stopped the way systemd and Docker stop it.</summary>
[Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
public sealed class LiveShutdownTests
{
    [Fact]
    public async Task SIGTERM_ends_open_sse_streams_cleanly_and_the_process_exits_0()
    {
        await using var target = await TargetServer.StartAsync();
        var work = TestPaths.NewTempDirectory();
        // A long shutdown timeout: a stream still open when it runs out would be aborted, not ended, and the wait
        // below would outlast its deadline.
        await using var host = await HostProcess.StartServingAsync(work, [], new Dictionary<string, string>
        {
            ["UptimeWatch__DataDirectory"] = "data",
            ["UptimeWatch__Scheduler__ShutdownTimeoutSeconds"] = "120",
            ["UptimeWatch__Monitors__0__Name"] = "Target",
            ["UptimeWatch__Monitors__0__Url"] = target.Url("/ok").ToString(),
            ["UptimeWatch__Monitors__0__IntervalSeconds"] = "1",
            ["UptimeWatch__Monitors__0__TimeoutSeconds"] = "1",
        });
        using var client = host.NewClient();
        client.Timeout = Timeout.InfiniteTimeSpan;
        using var response = await client.GetAsync("/api/live/events", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith("retry:", await reader.ReadLineAsync());

        host.SendSigterm();

        // The server ends the response (EventSource then reconnects to whoever serves next): the read reaches the end
        // of the stream rather than failing on a reset connection.
        await Eventually.Within(TimeSpan.FromSeconds(60), "the stream to end after SIGTERM", async ct =>
        {
            while (await reader.ReadLineAsync(ct) is not null)
            {
            }
            return true;
        });
        Assert.Equal(0, await host.WaitForExitAsync());
    }
}
