using System.Globalization;
using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using static UptimeWatch.Bench.Harness;

namespace UptimeWatch.Bench;

/// <summary>One viewer of the live endpoints: what it received (status event ids, in order) and when.</summary>
internal sealed class LiveClient
{
    public readonly List<long> Ids = [];

    /// <summary>Receipt time − the event's <c>at</c>, per entry of <see cref="Ids"/>.</summary>
    public readonly List<double> LatencyMs = [];

    /// <summary>When each entry of <see cref="Ids"/> was received (the bench's clock).</summary>
    public readonly List<DateTimeOffset> ReceivedAt = [];
    public bool Connected;
    public string? Error;
    public long Checks;
    public long CheckFrames;
}

/// <summary>
/// The viewers of the live scenarios (<c>live</c>, <c>cluster-live</c>): SSE and long-poll clients, the status flips
/// that give them something to receive, and the exactly-once and latency rows of the result table.
/// </summary>
internal static class LiveClients
{
    /// <summary>One client for all viewers: unlimited connections, no timeout.</summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(20),
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        MaxConnectionsPerServer = int.MaxValue,
    }) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Waits until every monitor of <c>/api/status</c> is up.</summary>
    public static Task WaitAllUpAsync(HttpClient http, string baseUrl, int interval, CancellationToken cancellationToken) => Until(async () =>
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"{baseUrl}/api/status", cancellationToken));
        return doc.RootElement.GetProperty("monitors").EnumerateArray().All(m => m.GetProperty("status").GetString() == "up");
    }, TimeSpan.FromSeconds(interval * 3 + 30), "every monitor up", cancellationToken);

    /// <summary>The status page snapshot's cursor: the newest event id.</summary>
    public static async Task<long> CursorAsync(HttpClient http, string baseUrl, CancellationToken cancellationToken)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"{baseUrl}/api/status/page", cancellationToken));
        return doc.RootElement.GetProperty("cursor").GetInt64();
    }

    /// <summary>SSE clients on <paramref name="url"/>, connecting a hundred at a time; returns once all have connected or failed.</summary>
    public static async Task<(LiveClient[] Clients, Task[] Tasks)> ConnectSseAsync(HttpClient client, string url, int count,
        CancellationToken stop, CancellationToken cancellationToken)
    {
        var clients = Enumerable.Range(0, count).Select(_ => new LiveClient()).ToArray();
        var tasks = new Task[count];
        using var connecting = new SemaphoreSlim(100);
        for (var i = 0; i < count; i++)
        {
            await connecting.WaitAsync(cancellationToken);
            var c = clients[i];
            tasks[i] = Task.Run(() => StreamAsync(client, url, c, connecting, stop), CancellationToken.None);
        }
        for (var i = 0; i < 100; i++)
        {
            await connecting.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        return (clients, tasks);
    }

    /// <summary>Long-poll clients on <paramref name="baseUrl"/>, each starting after <paramref name="cursor"/>.</summary>
    public static (LiveClient[] Clients, Task[] Tasks) StartPolls(HttpClient client, string baseUrl, long cursor, int count, CancellationToken stop)
    {
        var clients = Enumerable.Range(0, count).Select(_ => new LiveClient()).ToArray();
        return (clients, clients.Select(c => Task.Run(() => PollAsync(client, baseUrl, cursor, c, stop), CancellationToken.None)).ToArray());
    }

    /// <summary>
    /// Each flip makes one monitor fail (then, on the next flip, recover), one every <c>interval + 2</c> s: one status
    /// event per flip with <c>FailureThreshold</c> and <c>SuccessThreshold</c> 1.
    /// </summary>
    public static async Task FlipAsync(HttpClient http, int targetPort, int flips, int monitors, int interval, CancellationToken cancellationToken)
    {
        for (var k = 0; k < flips; k++)
        {
            var monitor = k / 2 % monitors;
            await http.PostAsync($"http://127.0.0.1:{targetPort}/ctl/{(k % 2 == 0 ? "fail" : "ok")}/{monitor}", null, cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(interval + 2), cancellationToken);
        }
    }

    /// <summary>The ids of the public status events after <paramref name="cursor"/>, from <c>/api/events</c>.</summary>
    public static async Task<List<long>> EventIdsAfterAsync(HttpClient http, string baseUrl, long cursor, CancellationToken cancellationToken)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"{baseUrl}/api/events?after={cursor}&limit=1000", cancellationToken));
        return doc.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToList();
    }

    public static string Errors(LiveClient[] clients) =>
        clients.Where(c => c.Error is not null).GroupBy(c => c.Error).OrderByDescending(g => g.Count()).FirstOrDefault() is { } g
            ? $" (errors: {clients.Count(c => c.Error is not null)}, most common {g.Count()}× {g.Key})" : "";

    /// <summary>The row "clients that got every event exactly once, in order"; true when all did.</summary>
    public static bool ReportExactlyOnce(Table table, string name, LiveClient[] clients, List<long> expected)
    {
        var exact = clients.Count(c => c.Ids.SequenceEqual(expected));
        var dup = clients.Count(c => c.Ids.Count != c.Ids.Distinct().Count());
        var missing = clients.Count(c => expected.Except(c.Ids).Any());
        table.Add($"{name}: clients that got every event exactly once, in order", $"{exact:N0} / {clients.Length:N0} (with duplicates: {dup}, missing some: {missing})" + Errors(clients),
            "all", exact == clients.Length);
        return exact == clients.Length;
    }

    /// <summary>A latency row: p50 / p99 / max of <paramref name="latencies"/> against a p99 limit.</summary>
    public static void ReportLatency(Table table, string metric, IEnumerable<double> latencies, double p99LimitMs)
    {
        var sorted = latencies.Order().ToList();
        var p99 = Percentile(sorted, 99);
        table.Add($"{metric} ({sorted.Count:N0} deliveries)",
            $"{Percentile(sorted, 50):F0} / {p99:F0} / {(sorted.Count > 0 ? sorted[^1] : double.NaN):F0} ms",
            $"p99 ≤ {p99LimitMs:F0} ms", p99 <= p99LimitMs);
    }

    private static async Task StreamAsync(HttpClient client, string url, LiveClient c, SemaphoreSlim connecting, CancellationToken cancellationToken)
    {
        var released = false;
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                c.Error = $"HTTP {(int)response.StatusCode}";
                return;
            }
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            c.Connected = true;
            connecting.Release();
            released = true;
            await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
            {
                if (item.EventType == "status")
                {
                    var now = DateTimeOffset.UtcNow;
                    c.Ids.Add(long.Parse(item.EventId!, CultureInfo.InvariantCulture));
                    c.ReceivedAt.Add(now);
                    c.LatencyMs.Add((now - At(item.Data)).TotalMilliseconds);
                }
                else if (item.EventType == "checks")
                {
                    // One frame with the newest check of each public monitor checked since the last frame.
                    c.CheckFrames++;
                    c.Checks += CountChecks(item.Data);
                }
                else if (item.EventType == "check")
                {
                    // Servers before coalescing sent one frame per check.
                    c.CheckFrames++;
                    c.Checks++;
                }
            }
            c.Error ??= "stream ended by the server";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            c.Error = e.GetType().Name + ": " + e.Message;
        }
        finally
        {
            if (!released)
            {
                connecting.Release();
            }
        }
    }

    private static async Task PollAsync(HttpClient client, string baseUrl, long cursor, LiveClient c, CancellationToken cancellationToken)
    {
        c.Connected = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync($"{baseUrl}/api/live/poll?after={cursor}&timeout=30", cancellationToken);
                var now = DateTimeOffset.UtcNow;
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                {
                    c.Error = $"HTTP {(int)response.StatusCode}";
                    await Task.Delay(1000, cancellationToken);
                    continue;
                }
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
                foreach (var e in doc.RootElement.GetProperty("events").EnumerateArray())
                {
                    c.Ids.Add(e.GetProperty("id").GetInt64());
                    c.ReceivedAt.Add(now);
                    c.LatencyMs.Add((now - e.GetProperty("at").GetDateTimeOffset()).TotalMilliseconds);
                }
                cursor = doc.RootElement.GetProperty("cursor").GetInt64();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException)
            {
                c.Error = e.GetType().Name + ": " + e.Message;
                await Task.Delay(1000, CancellationToken.None);
            }
        }
    }

    private static int CountChecks(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("checks").GetArrayLength();
    }

    private static DateTimeOffset At(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("at").GetDateTimeOffset();
    }
}
