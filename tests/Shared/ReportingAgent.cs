using UptimeWatch.Scheduling;

namespace UptimeWatch.Testing;

/// <summary>
/// A hand-driven agent that keeps reporting: one check of every monitor it was given per slot (a 1 s grid), with the
/// verdict the test sets, reading acks as they come. Stops when disposed (the socket closes, as an agent that died).
/// </summary>
internal sealed class ReportingAgent : IAsyncDisposable
{
    private readonly AgentSocketClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private bool _disposed;

    private ReportingAgent(AgentSocketClient client, IReadOnlyList<(int Id, TimeSpan Interval)> monitors, string verdict)
    {
        _client = client;
        Verdict = verdict;
        _loop = Task.Run(() => ReportAsync(monitors, _stop.Token));
    }

    public volatile string Verdict = "up";

    /// <summary>Whether its checks say it could not reach the internet (its canaries fail): the server holds them.</summary>
    public bool CutOff { get => Volatile.Read(ref _cutOff); set => Volatile.Write(ref _cutOff, value); }

    private bool _cutOff;

    public static Task<ReportingAgent> StartAsync(UptimeWatchApp app, string token, string location, string verdict = "up") =>
        StartAsync(app.BaseUrl, token, location, verdict);

    /// <summary>
    /// An agent of <paramref name="location"/> connected to the server at <paramref name="server"/> (a node of a cluster,
    /// say), reporting <paramref name="verdict"/> from its first check on (it reports as soon as it is welcomed: a
    /// verdict set after this returns may come after a first report of "up").
    /// </summary>
    public static async Task<ReportingAgent> StartAsync(Uri server, string token, string location, string verdict = "up")
    {
        var client = await AgentSocketClient.ConnectAsync(server, token, location);
        var welcome = await client.NextAsync("welcome");
        var monitors = welcome["monitors"]!.AsArray()
            .Select(m => ((int)m!["id"]!, TimeSpan.FromSeconds(int.Parse((string)m["fields"]!["IntervalSeconds"]!)))).ToList();
        return new ReportingAgent(client, monitors, verdict);
    }

    private async Task ReportAsync(IReadOnlyList<(int Id, TimeSpan Interval)> monitors, CancellationToken stop)
    {
        var last = monitors.ToDictionary(m => m.Id, _ => DateTimeOffset.MinValue);
        var seq = 0L;
        while (!stop.IsCancellationRequested)
        {
            var now = DateTimeOffset.UtcNow;
            var checks = new List<object>();
            foreach (var (id, interval) in monitors)
            {
                // The latest slot that has come, once.
                var slot = Partitions.SlotAtOrAfter(id, interval, now - interval);
                if (slot > now || slot <= last[id])
                {
                    continue;
                }
                last[id] = slot;
                var verdict = Verdict;
                var cutOff = CutOff;
                checks.Add(new
                {
                    monitor = id, slot, at = slot.AddMilliseconds(3), verdict, elapsedMs = 5, httpStatus = verdict == "down" ? (int?)null : 200,
                    failure = verdict == "down" ? "connectionRefused" : null, error = verdict == "down" ? "connection refused" : null,
                    timings = (object?)null, certificateDaysLeft = (int?)null, cutOff,
                });
            }
            if (checks.Count > 0)
            {
                await _client.SendAsync(new { type = "results", seq = ++seq, checks });
                await _client.NextAsync("ack");
            }
            await Task.Delay(200, stop);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        await _client.DisposeAsync();
    }
}
